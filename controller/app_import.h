/*
 * app_import: the seed's Edge Container manifest (the "VMManifest" JSON of
 * the original design) into the objects of an EdgeDevConfig: one
 * AppInstanceConfig, one Volume and (for downloaded images) one ContentTree
 * per image, and the datastore they come from.  Used by `evc app import`
 * (controller/evc_cli.c does the I/O); docs/apps.md describes the format.
 *
 *   app_import_parse      manifest JSON -> struct app_manifest (pure).  Every
 *                         unknown member or inconsistent value is an error
 *                         naming the field path ("images[1].drvtype: 'FLOPPY'
 *                         is not one of HDD, CDROM, HDD_EMPTY").
 *   app_import_probe      the first bytes of an image file -> its format
 *                         (qcow2 header, ISO 9660, else raw) and virtual size
 *                         (pure).
 *   app_import_to_config  manifest + what the caller learnt about the image
 *                         files + fresh UUIDs -> new objects appended to an
 *                         unpacked EdgeDevConfig (pure: no I/O, no random).
 *
 * Mapping (the seed's units: memory, storage and maxsize are KiB; the
 * maxsizeUnit / maxsizeDisplayUnit members are display hints for a UI and
 * do not scale maxsize — in the seed's example maxsize 1195376 "GB" is a
 * 1.14 GiB image inside a 3 GiB storage budget):
 *   vmmode "HV_HVM" | "HV HVM" -> HVM, "HV_PV" -> PV, "HV_PVH" -> PVH (EVE's
 *     VmMode 2, "Filler"), "HV_FML" -> FML, "HV_NOHYPER" -> NOHYPER,
 *     "HV_LEGACY" -> LEGACY ('_' or ' ' after "HV"); absent: HVM;
 *   images[i] -> Volume {maxsizebytes = maxsize * 1024 (0: the image's
 *     virtual size), readonly, target, origin DOWNLOAD of a ContentTree whose
 *     URL is imagename under the datastore and whose sha256/size are those
 *     of the local file}; drvtype CDROM makes the content an ISO (how EVE
 *     tells a CD-ROM from a disk), HDD_EMPTY a blank volume (no content, no
 *     file); preserve has no Volume field: volumes always persist until
 *     purged or their generation changes;
 *   interfaces[i] directattach false -> NetworkAdapter {name, networkId from
 *     the caller's map, acls: one ACE per acls[j], one ACEMatch per match,
 *     ids from 1, no action = allow}; directattach true -> Adapter
 *     {PhyIoNetEth, name = the assignment group}, which takes no ACLs;
 *   resources cpus -> vcpus, memory -> memory and maxmem (KiB);
 *     storage (optional) bounds the sum of the images' maxsize.
 *
 * Ownership: struct app_manifest and struct app_import_input are caller
 * memory, nothing points outside them except app_import_input's strings,
 * which must live for the call.  app_import_to_config() allocates the new
 * objects with malloc (protobuf-c's default allocator), so
 * protobuf_c_message_free_unpacked(cfg, NULL) frees them with the rest;
 * it checks everything before it adds anything, so on error cfg is as it
 * was.  Return codes: 0, -EINVAL (bad input, err says why), -E2BIG (a
 * bound), -ENOMEM.
 */
#ifndef EV_APP_IMPORT_H
#define EV_APP_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define APPIMP_ERR 256
#define APPIMP_MAX_JSON (1u << 20)
#define APPIMP_MAX_IMAGES 8      /* = PLAN_MAX_APP_VOLUMES */
#define APPIMP_MAX_IFACES 8
#define APPIMP_MAX_ACLS 32       /* in the whole manifest */
#define APPIMP_MAX_MATCHES 64    /* in the whole manifest */
#define APPIMP_NAME 128
#define APPIMP_IMAGENAME 256
#define APPIMP_LABEL 64
#define APPIMP_VALUE 254         /* a DNS name (253) or an address/prefix */
#define APPIMP_MAX_VCPUS 128
#define APPIMP_PROBE_BYTES 34816 /* enough for the ISO 9660 volume descriptor */

/* values are EVE's (vm.proto VmMode, storage.proto Target, DriveType, Format) */
enum appimp_match_type { APPIMP_MATCH_HOST = 1, APPIMP_MATCH_IP = 2 };

struct appimp_image {
	char imagename[APPIMP_IMAGENAME];
	uint64_t maxsize_kib;           /* 0 = the image's own size */
	bool readonly, preserve;
	uint32_t target;                /* Target: Disk 1, Kernel 2, Initrd 3, RamDisk 4, AppCustom 5 */
	uint32_t drvtype;               /* DriveType: CDROM 1, HDD 2, HDD_EMPTY 4 */
};

struct appimp_match {
	uint32_t type;                  /* enum appimp_match_type */
	char value[APPIMP_VALUE + 1];
};

struct appimp_acl {
	uint32_t first_match, n_matches;  /* into app_manifest.matches */
};

struct appimp_iface {
	char name[APPIMP_LABEL];
	bool directattach;
	uint32_t first_acl, n_acls;     /* into app_manifest.acls */
};

struct app_manifest {
	char ac_version[32];
	char name[APPIMP_NAME];
	bool enablevnc;
	uint32_t vmmode;                /* VmMode */
	uint32_t cpus;
	uint32_t memory_kib;
	uint64_t storage_kib;           /* 0 = not given */
	uint32_t n_images;
	struct appimp_image images[APPIMP_MAX_IMAGES];
	uint32_t n_ifaces;
	struct appimp_iface ifaces[APPIMP_MAX_IFACES];
	uint32_t n_acls;
	struct appimp_acl acls[APPIMP_MAX_ACLS];
	uint32_t n_matches;
	struct appimp_match matches[APPIMP_MAX_MATCHES];
};

/* Parses @len bytes of manifest JSON into *m (zeroed first). */
int app_import_parse(const char *json, size_t len, struct app_manifest *m,
		     char err[APPIMP_ERR]);

/* What a probe of an image file found. */
struct appimp_file {
	uint32_t format;                /* Format: RAW 1, QCOW2 3, ISO 9 */
	uint64_t virtual_size;          /* qcow2: from its header; else the file size */
};

/* @head: the first min(file size, APPIMP_PROBE_BYTES) bytes of a file of
 * @file_size bytes.  A qcow2 header that does not hold together (version,
 * size 0 or above 2^62) is -EINVAL with err. */
int app_import_probe(const uint8_t *head, size_t len, uint64_t file_size,
		     struct appimp_file *f, char err[APPIMP_ERR]);

/* One local image file, matched to images[] by imagename. */
struct appimp_image_file {
	const char *imagename;
	char sha256[65];                /* lower-case hex */
	uint64_t size;                  /* bytes of the file */
	struct appimp_file probe;
};

struct appimp_network {
	const char *iface;              /* interfaces[].name */
	const char *network_uuid;       /* a networkInstances[] uuid of the config */
};

#define APPIMP_UUIDS (2 + 2 * APPIMP_MAX_IMAGES)

struct app_import_input {
	const char *ds_url;             /* "http[s]://host[:port][/path]" */
	const char *ds_cert_pem;        /* NULL or PEM text (dsCertPEM, HTTPS only) */
	size_t ds_cert_len;
	const struct appimp_image_file *files;
	size_t n_files;
	const struct appimp_network *networks;  /* interface -> network instance */
	size_t n_networks;
	/* fresh lower-case UUIDs, used in order: the app, the datastore (if a
	 * new one is needed), then a content tree and a volume per image */
	char uuids[APPIMP_UUIDS][37];
};

/* What app_import_to_config() added, for the CLI to print. */
struct app_import_result {
	char app_uuid[37];
	char ds_id[37];
	bool ds_reused;                 /* an identical datastore was already there */
	uint32_t n_contents, n_volumes;
	uint32_t n_unattached;          /* NetworkAdapters with no networkId */
};

struct Org__Lfedge__Eve__Config__EdgeDevConfig;

int app_import_to_config(const struct app_manifest *m, const struct app_import_input *in,
			 struct Org__Lfedge__Eve__Config__EdgeDevConfig *cfg,
			 struct app_import_result *res, char err[APPIMP_ERR]);

#endif
