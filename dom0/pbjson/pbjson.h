/*
 * pbjson: protobuf messages <-> JSON in protobuf's canonical proto3 JSON
 * mapping (what protoc, Go's protojson and python's json_format speak, and
 * so EVE's tools), for every protobuf-c message type, driven only by
 * protobuf-c's descriptors.  Pure code: bytes in, structures out; no I/O,
 * no globals.
 *
 * The mapping:
 *  - field names: output uses the lowerCamelCase JSON name, computed from
 *    the proto name as protoc does (drop each '_', capitalise the letter
 *    after it: "controller_epoch" -> "controllerEpoch", "pemCert" stays);
 *    input accepts the JSON name and the proto field name;
 *  - enums: value names (input also takes the number, as a number or a
 *    string; proto3 enums are open, so unnamed numbers are kept and printed
 *    as numbers);
 *  - int64, uint64, sint64, fixed64, sfixed64: decimal strings (input:
 *    strings or numbers); 32-bit integers: numbers (input: numbers or
 *    strings, with fraction/exponent when integral: 1.0, "1e3");
 *  - float, double: numbers, "NaN", "Infinity", "-Infinity";
 *  - bool: true / false; string: UTF-8 (checked both ways);
 *  - bytes: standard base64 with padding (input: standard or URL-safe,
 *    padded or not);
 *  - repeated fields: arrays; map fields (protobuf-c: repeated *Entry
 *    messages with key = 1, value = 2): objects keyed by the key's text;
 *  - oneof members: like other fields, at most one member per oneof;
 *  - nested messages: objects; null for any field means "not set";
 *  - output omits proto3 default values (0, "", false, empty, unset
 *    message) unless PBJSON_EMIT_DEFAULTS;
 *  - unknown JSON members: an error naming them (PBJSON_IGNORE_UNKNOWN
 *    skips them); a member named twice (JSON name and proto name): an error;
 *  - google.protobuf.Timestamp: an RFC 3339 string in UTC with 0, 3, 6 or
 *    9 fractional digits ("1972-01-01T10:00:20.021Z"); input also takes
 *    1-9 digits and offsets ("+01:00"); years 0001-9999.
 * Not covered: the other well-known types with a special JSON form (Any,
 * Duration, FieldMask, Struct, Value, ListValue, the wrappers) are refused
 * with an error naming them (none is in our protos); protobuf-c's unknown
 * fields (kept from the wire) have no JSON form and are not printed;
 * protobuf-c strings are C strings, so a string holding U+0000 is refused.
 *
 * Errors: err[PBJSON_ERR_LEN] gets "PATH: reason", PATH naming the field
 * from the top-level message, e.g.
 *   apps[2].fixedresources.memory: expected an integer, got "12x"
 *   configItems[0]: unknown field "foo" in org.lfedge.eve.config.ConfigItem
 * (no PATH for the top-level message itself).  Return codes: 0, -EINVAL
 * (bad input), -E2BIG (a size or depth bound), -ENOMEM.
 *
 * Ownership: pbjson_to_message() builds *out with @alloc (NULL: malloc/free,
 * protobuf-c's default); every sub-object (messages, arrays, strings, bytes)
 * comes from the same allocator, so protobuf_c_message_free_unpacked(*out,
 * alloc) frees it all.  The JSON text is not referenced afterwards.
 * pbjson_from_message() gives a malloc'd, NUL-terminated string (free()).
 */
#ifndef EDGEVISOR_PBJSON_H
#define EDGEVISOR_PBJSON_H

#include <stdbool.h>
#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#define PBJSON_ERR_LEN 256

enum pbjson_flags {
	/* output */
	PBJSON_PRETTY = 1u << 0,         /* two-space indent, one member per line */
	PBJSON_EMIT_DEFAULTS = 1u << 1,  /* also print fields at their default value */
	PBJSON_PROTO_NAMES = 1u << 2,    /* print proto field names, not JSON names */
	PBJSON_ENUMS_AS_INTS = 1u << 3,  /* print enum numbers, not names */
	/* input */
	PBJSON_IGNORE_UNKNOWN = 1u << 8, /* skip JSON members that name no field */
};

/* Nesting bound for messages inside messages, both ways. */
#define PBJSON_MAX_DEPTH 64u

/*
 * Parse @len bytes of JSON at @json as a message of type @desc.
 * On success *out is the new message and 0 is returned; on failure *out is
 * NULL, nothing is left allocated and err says where and why.
 */
int pbjson_to_message(const ProtobufCMessageDescriptor *desc, const char *json, size_t len,
		      ProtobufCAllocator *alloc, ProtobufCMessage **out,
		      char err[PBJSON_ERR_LEN]);
/* Same, with input flags (PBJSON_IGNORE_UNKNOWN). */
int pbjson_to_message_flags(const ProtobufCMessageDescriptor *desc, const char *json,
			    size_t len, unsigned flags, ProtobufCAllocator *alloc,
			    ProtobufCMessage **out, char err[PBJSON_ERR_LEN]);

/*
 * Print @msg as JSON (output flags).  On success *json_out is a malloc'd,
 * NUL-terminated string and 0 is returned; on failure *json_out is NULL and
 * err names the field (e.g. a string that is not UTF-8, a timestamp out of
 * range).
 */
int pbjson_from_message(const ProtobufCMessage *msg, unsigned flags, char **json_out,
			char err[PBJSON_ERR_LEN]);

/*
 * The JSON name protoc gives the field named @proto_name, into buf[cap].
 * Returns its length, or -ENAMETOOLONG if it does not fit.
 */
int pbjson_json_name(const char *proto_name, char *buf, size_t cap);

/*
 * True when @f is a map field: protobuf-c 1.4.1 keeps no map_entry flag,
 * so this recognises what protoc generates for map<K, V> name: a repeated
 * message field whose type is the nested "<Name>Entry" message (Name: the
 * field name in CamelCase) of the same parent with exactly key = 1 (an
 * integral, bool or string type) and value = 2.
 */
bool pbjson_field_is_map(const ProtobufCMessageDescriptor *parent,
			 const ProtobufCFieldDescriptor *f);

#endif /* EDGEVISOR_PBJSON_H */
