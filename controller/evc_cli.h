/*
 * evc_cli: the commands of `evc` (controller/evc.c parses the options).
 * Each command prints its result on stdout and a sentence naming the input
 * and the reason on stderr when it fails; the exit status is 0, 1 (failed)
 * or 2 (usage).
 *
 * Ownership: struct evc_args points into argv; nothing is owned.
 */
#ifndef EV_EVC_CLI_H
#define EV_EVC_CLI_H

#include <stdbool.h>
#include <stddef.h>

#define EVC_NAMES_MAX 8
#define EVC_IMAGES_MAX 8     /* --image NAME=FILE */
#define EVC_NETWORKS_MAX 8   /* --network IFACE=UUID */

struct evc_args {
	const char *dir;
	const char *names[EVC_NAMES_MAX];
	size_t n_names;
	const char *server, *enterprise, *project, *cert, *serial, *listen;
	/* app import / app list */
	const char *device, *datastore, *ds_cert;
	const char *images[EVC_IMAGES_MAX];
	size_t n_images;
	const char *networks[EVC_NETWORKS_MAX];
	size_t n_networks;
	bool json, binary, follow;
	int argc;            /* positional words: command, subcommand, ... */
	char **argv;
};

int evc_cli_run(const struct evc_args *a);

/* `evc serve` (evc_serve.c). */
int evc_serve(const struct evc_args *a);

/* evc_view.c: a config file (JSON; binary protobuf only with --binary, so
 * a text file is never taken for protobuf) into checked EdgeDevConfig
 * protobuf bytes, replacing *data; and the printers of
 * `config get`, `info`, `metrics` and `logs`. */
int evc_config_parse(const struct evc_args *a, const char *name, char **data, size_t *len,
		     char *err, size_t errsz);
int evc_config_print(const struct evc_args *a, const unsigned char *pb, size_t len,
		     const char hash[65]);
int evc_telemetry_print(const struct evc_args *a);

/* `evc app import` and `evc app list` (evc_app.c). */
int evc_app_import(const struct evc_args *a);
int evc_app_list(const struct evc_args *a);

/* Reads a PEM (or DER) certificate file into DER: 0, or -errno with err. */
int evc_read_cert(const char *path, unsigned char **der, size_t *len, char *err, size_t errsz);

/* Opens the store of --dir (a clear error when the folder or its evc.db is
 * missing): 0, -ENOENT, -ENAMETOOLONG or -EIO. */
struct store;
int evc_store_open(const struct evc_args *a, struct store *st);

#endif
