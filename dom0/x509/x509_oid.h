/*
 * x509_oid: the object identifiers x509_write and x509_read use, as arc
 * lists.  X509_OID(OID_AT_CN) expands to the two arguments (arcs, count)
 * that der_put_oid() and der_oid_eq() take.  No storage, no ownership.
 */
#ifndef EV_X509_OID_H
#define EV_X509_OID_H

#include <stdint.h>

#define X509_OID(...) \
	((const uint32_t[]){ __VA_ARGS__ }), \
	(sizeof((const uint32_t[]){ __VA_ARGS__ }) / sizeof(uint32_t))

/* attribute types in names */
#define OID_AT_CN 2, 5, 4, 3
#define OID_AT_SERIAL_NUMBER 2, 5, 4, 5
#define OID_AT_O 2, 5, 4, 10
#define OID_AT_OU 2, 5, 4, 11
/* keys and signatures */
#define OID_EC_PUBLIC_KEY 1, 2, 840, 10045, 2, 1
#define OID_PRIME256V1 1, 2, 840, 10045, 3, 1, 7
#define OID_SECP384R1 1, 3, 132, 0, 34
#define OID_SECP521R1 1, 3, 132, 0, 35
#define OID_RSA_ENCRYPTION 1, 2, 840, 113549, 1, 1, 1
#define OID_ED25519 1, 3, 101, 112
#define OID_ECDSA_SHA256 1, 2, 840, 10045, 4, 3, 2
#define OID_ECDSA_SHA384 1, 2, 840, 10045, 4, 3, 3
#define OID_RSA_SHA256 1, 2, 840, 113549, 1, 1, 11
/* certificate extensions */
#define OID_EXT_SKI 2, 5, 29, 14
#define OID_EXT_KEY_USAGE 2, 5, 29, 15
#define OID_EXT_SAN 2, 5, 29, 17
#define OID_EXT_BASIC_CONSTRAINTS 2, 5, 29, 19
#define OID_EXT_AKI 2, 5, 29, 35
#define OID_EXT_EXT_KEY_USAGE 2, 5, 29, 37
/* key purposes */
#define OID_KP_SERVER_AUTH 1, 3, 6, 1, 5, 5, 7, 3, 1
#define OID_KP_CLIENT_AUTH 1, 3, 6, 1, 5, 5, 7, 3, 2
#define OID_KP_OCSP_SIGNING 1, 3, 6, 1, 5, 5, 7, 3, 9
/* PKCS#9 extensionRequest (CSR attribute) */
#define OID_EXTENSION_REQUEST 1, 2, 840, 113549, 1, 9, 14

#endif
