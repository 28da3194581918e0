/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lbadm stats: the dataplane's counters (GET /v1/stats, sluice-dp's STATS
 * answer through sluiced) as tables: per worker, per VIP and backend, and
 * the drops by reason that are not zero.
 */
#include <string.h>

#include "lbadm.h"

static void
stats_text(json_t *st)
{
	struct lb_table t;
	json_t *x, *b;
	const char *k;
	size_t i, j;
	char c[9][64];
	const char *row[9];

	for (int n = 0; n < 9; n++)
		row[n] = c[n];
	lb_fmt(c[0], sizeof(c[0]), json_object_get(st, "generation"));
	lb_fmt(c[1], sizeof(c[1]), json_object_get(st, "uptime_s"));
	printf("Dataplane generation %s, up %s s\n\nWorkers\n", c[0], c[1]);
	static const char *const wk[] = {"worker", "rx_packets", "rx_bytes", "tx_packets",
		"tx_bytes", "forwarded", "new_flows", "conntrack_entries", "conntrack_capacity"};
	static const char *const wh[] = {"Worker", "RxPkts", "RxBytes", "TxPkts", "TxBytes",
		"Forwarded", "NewFlows", "CtEntries", "CtCapacity"};
	lb_table_init(&t, 9, 0x1ff);
	lb_table_row(&t, wh);
	json_array_foreach(json_object_get(st, "workers"), i, x)
	{
		for (int n = 0; n < 9; n++)
			lb_fmt(c[n], sizeof(c[n]), json_object_get(x, wk[n]));
		lb_table_row(&t, row);
	}
	lb_table_print(stdout, &t);
	lb_table_free(&t);

	printf("\nVIPs and backends\n");
	lb_table_init(&t, 6, 0x1c);
	static const char *const vh[] = {
		"Prot", "Address", "Packets", "Bytes", "NewFlows", "State"};
	lb_table_row(&t, vh);
	json_array_foreach(json_object_get(st, "vips"), i, x)
	{
		lb_service_text(c[0], sizeof(c[0]), c[1], sizeof(c[1]), x);
		lb_fmt(c[2], sizeof(c[2]), json_object_get(x, "packets"));
		lb_fmt(c[3], sizeof(c[3]), json_object_get(x, "bytes"));
		snprintf(c[4], sizeof(c[4]), " ");
		snprintf(c[5], sizeof(c[5]), " ");
		lb_table_row(&t, row);
		json_array_foreach(json_object_get(x, "backends"), j, b)
		{
			char a[48];
			lb_fmt(a, sizeof(a), json_object_get(b, "address"));
			snprintf(c[0], sizeof(c[0]), " ");
			snprintf(c[1], sizeof(c[1]), "  -> %s", a);
			lb_fmt(c[2], sizeof(c[2]), json_object_get(b, "packets"));
			lb_fmt(c[3], sizeof(c[3]), json_object_get(b, "bytes"));
			lb_fmt(c[4], sizeof(c[4]), json_object_get(b, "new_flows"));
			lb_fmt(c[5], sizeof(c[5]), json_object_get(b, "state"));
			lb_table_row(&t, row);
		}
	}
	lb_table_print(stdout, &t);
	lb_table_free(&t);

	printf("\nDrops by reason (non-zero)\n");
	bool any = false;
	json_object_foreach(json_object_get(st, "drops"), k, x)
	{
		if (json_integer_value(x) == 0)
			continue;
		printf("  %-28s %" JSON_INTEGER_FORMAT "\n", k, json_integer_value(x));
		any = true;
	}
	if (!any)
		printf("  none\n");
}

int
lb_do_stats(int argc, char **argv)
{
	struct lb_opts o;
	struct lb_resp r = {0};
	int rc = lb_simple_opts(argc, argv, 0,
		"\nThe dataplane's counters: per worker (packets, connection tracking use), per\n"
		"VIP and backend (packets, bytes, new flows), drops by reason.\n",
		&o);

	if (rc)
		goto out;
	rc = lb_get("/v1/stats", &r);
	if (rc)
		goto out;
	if (lb_g.json)
		lb_print_json(r.body);
	else
		stats_text(r.body);
out:
	lb_resp_free(&r);
	lb_opts_free(&o);
	return rc < 0 ? LB_EXIT_OK : rc;
}
