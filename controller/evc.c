/*
 * evc: Edgevisor's reference controller (the role Adam plays for EVE).
 *
 *   evc init --dir DIR [--name DNS]... [--server HOST:PORT] [--enterprise E]
 *   evc serve --dir DIR --listen ADDR:PORT
 *   evc onboard add --dir DIR --cert FILE --serial S|* [--enterprise E] [--project P]
 *   evc device add --dir DIR --cert FILE [--serial S] [--enterprise E] [--project P]
 *   evc device list --dir DIR [--json]
 *   evc device show --dir DIR UUID [--json]
 *   evc cert revoke --dir DIR --cert FILE   (docs/revocation.md)
 *   evc config set --dir DIR UUID FILE      (JSON, or binary protobuf with --binary)
 *   evc config get --dir DIR UUID [--json]
 *   evc info|metrics|logs --dir DIR UUID [--json] [--follow]
 *   evc app import --dir DIR MANIFEST.json --device UUID|SERIAL --datastore URL
 *       [--image NAME=FILE]... [--ds-cert PEM] [--network IFACE=UUID]...
 *   evc app list --dir DIR --device UUID|SERIAL [--json]
 *
 * DIR defaults to $EVC_DIR, else ./evc.  Every command works on DIR/evc.db
 * (SQLite, WAL), so admin commands run while `evc serve` does.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "atomicfile.h"
#include "evc_cli.h"
#include "pem.h"
#include "pki.h"
#include "store.h"
#include "x509_read.h"

static void
usage(FILE *f)
{
	fputs("usage: evc COMMAND [options]\n"
	      "  init --dir DIR [--name DNS]... [--server HOST:PORT] [--enterprise E]\n"
	      "  serve --dir DIR --listen ADDR:PORT\n"
	      "  onboard add --cert FILE --serial S|* [--enterprise E] [--project P]\n"
	      "  device add --cert FILE [--serial S] [--enterprise E] [--project P]\n"
	      "  device list [--json]\n"
	      "  device show UUID [--json]\n"
	      "  cert revoke --cert FILE\n"
	      "  config set UUID FILE [--binary]\n"
	      "  config get UUID [--json|--binary]\n"
	      "  info UUID [--json] | metrics UUID [--json] | logs UUID [--json] [--follow]\n"
	      "  app import MANIFEST.json --device UUID|SERIAL --datastore URL\n"
	      "      [--image NAME=FILE]... [--ds-cert PEM] [--network IFACE=UUID]...\n"
	      "  app list --device UUID|SERIAL [--json]\n"
	      "Every command takes --dir DIR (default $EVC_DIR, else ./evc).\n", f);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "name", required_argument, NULL, 'n' },
		{ "server", required_argument, NULL, 's' },
		{ "enterprise", required_argument, NULL, 'e' },
		{ "project", required_argument, NULL, 'p' },
		{ "cert", required_argument, NULL, 'c' },
		{ "serial", required_argument, NULL, 'S' },
		{ "listen", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "binary", no_argument, NULL, 'b' },
		{ "follow", no_argument, NULL, 'f' },
		{ "device", required_argument, NULL, 'D' },
		{ "datastore", required_argument, NULL, 'U' },
		{ "ds-cert", required_argument, NULL, 'C' },
		{ "image", required_argument, NULL, 'I' },
		{ "network", required_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct evc_args a = { 0 };
	const char *env = getenv("EVC_DIR");
	int c;

	a.dir = env && env[0] ? env : "evc";
	a.enterprise = "default";
	a.project = "default";
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': a.dir = optarg; break;
		case 'n':
			if (a.n_names == EVC_NAMES_MAX) {
				fprintf(stderr, "evc: at most %d --name\n", EVC_NAMES_MAX);
				return 2;
			}
			a.names[a.n_names++] = optarg;
			break;
		case 's': a.server = optarg; break;
		case 'e': a.enterprise = optarg; break;
		case 'p': a.project = optarg; break;
		case 'c': a.cert = optarg; break;
		case 'S': a.serial = optarg; break;
		case 'l': a.listen = optarg; break;
		case 'j': a.json = true; break;
		case 'b': a.binary = true; break;
		case 'f': a.follow = true; break;
		case 'D': a.device = optarg; break;
		case 'U': a.datastore = optarg; break;
		case 'C': a.ds_cert = optarg; break;
		case 'I':
			if (a.n_images == EVC_IMAGES_MAX) {
				fprintf(stderr, "evc: at most %d --image\n", EVC_IMAGES_MAX);
				return 2;
			}
			a.images[a.n_images++] = optarg;
			break;
		case 'N':
			if (a.n_networks == EVC_NETWORKS_MAX) {
				fprintf(stderr, "evc: at most %d --network\n", EVC_NETWORKS_MAX);
				return 2;
			}
			a.networks[a.n_networks++] = optarg;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	a.argc = argc - optind;
	a.argv = argv + optind;
	if (a.argc < 1) {
		usage(stderr);
		return 2;
	}
	return evc_cli_run(&a);
}
