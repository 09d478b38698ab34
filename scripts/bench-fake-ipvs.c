/*
 * An LD_PRELOAD library that lets keepalived's checker run on a kernel
 * without IPVS, for `make bench-check-host` only: it answers keepalived's
 * IPVS generic netlink requests itself and accepts every command, so the
 * checker's health checks run as they would beside a real IPVS table.
 *
 * keepalived 2.2.7 (libipvs.c) opens a NETLINK_GENERIC socket with libnl,
 * resolves the "IPVS" family with genl_ctrl_resolve, then sends each
 * command with nl_send_auto and reads until libnl's ACK, FINISH or error
 * callback sets its flag. This library replaces genl_ctrl_resolve: for
 * "IPVS" it returns a made-up family and installs libnl's documented
 * send/receive overrides (nl_cb_overwrite_send/_recv) on that socket, so
 * nothing of it reaches the kernel. The receive override answers the last
 * request: GET_INFO with a version and connection table size, a dump with
 * NLMSG_DONE, anything else with an ACK (error 0).
 *
 * Build: cc -shared -fPIC -O2 -o bench-fake-ipvs.so bench-fake-ipvs.c -ldl
 * Needs libnl-3 and libnl-genl-3 at run time (keepalived links them), not
 * their headers: the few declarations used are below.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <linux/genetlink.h>
#include <linux/ip_vs.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct nl_sock;
struct nl_cb;
struct nl_msg;

extern struct nl_cb *nl_socket_get_cb(const struct nl_sock *);
extern void nl_cb_put(struct nl_cb *);
extern void nl_cb_overwrite_send(struct nl_cb *, int (*)(struct nl_sock *, struct nl_msg *));
extern void nl_cb_overwrite_recv(struct nl_cb *,
				 int (*)(struct nl_sock *, struct sockaddr_nl *, unsigned char **, struct ucred **));
extern void nl_socket_disable_seq_check(struct nl_sock *);
extern struct nlmsghdr *nlmsg_hdr(struct nl_msg *);

/* Any id at or above NLMSG_MIN_TYPE that the kernel has not given out
 * matters little: the socket's messages never reach the kernel. */
#define FAKE_IPVS_FAMILY 0x7ff0

/* The last request, which the next receive answers. keepalived waits for
 * the answer to each request before it sends the next. */
static struct nlmsghdr last_req;
static int last_cmd = -1;

static int fake_send(struct nl_sock *sk, struct nl_msg *msg)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);
	(void)sk;
	last_req = *h;
	last_cmd = h->nlmsg_len >= NLMSG_LENGTH(GENL_HDRLEN) ? ((struct genlmsghdr *)NLMSG_DATA(h))->cmd : -1;
	return (int)h->nlmsg_len;
}

static void put_u32_attr(unsigned char **p, unsigned short type, unsigned int v)
{
	struct nlattr *a = (struct nlattr *)*p;
	a->nla_len = NLA_HDRLEN + sizeof(v);
	a->nla_type = type;
	memcpy(*p + NLA_HDRLEN, &v, sizeof(v));
	*p += NLA_ALIGN(a->nla_len);
}

static int fake_recv(struct nl_sock *sk, struct sockaddr_nl *nla, unsigned char **buf, struct ucred **creds)
{
	(void)sk;
	unsigned char *b = calloc(1, 256), *p = b;
	if (!b)
		return -1;
	if (creds)
		*creds = NULL;
	if (nla) {
		memset(nla, 0, sizeof(*nla));
		nla->nl_family = AF_NETLINK;
	}
	if (last_cmd == IPVS_CMD_GET_INFO) {
		struct nlmsghdr *h = (struct nlmsghdr *)p;
		struct genlmsghdr *g = (struct genlmsghdr *)NLMSG_DATA(h);
		unsigned char *a;
		h->nlmsg_type = FAKE_IPVS_FAMILY;
		h->nlmsg_seq = last_req.nlmsg_seq;
		h->nlmsg_pid = last_req.nlmsg_pid;
		g->cmd = IPVS_CMD_SET_INFO;
		g->version = IPVS_GENL_VERSION;
		a = (unsigned char *)g + GENL_HDRLEN;
		put_u32_attr(&a, IPVS_INFO_ATTR_VERSION, (1 << 16) | (2 << 8) | 1); /* 1.2.1, Linux's */
		put_u32_attr(&a, IPVS_INFO_ATTR_CONN_TAB_SIZE, 4096);
		h->nlmsg_len = (unsigned int)(a - p);
		p += NLMSG_ALIGN(h->nlmsg_len);
	}
	struct nlmsghdr *h = (struct nlmsghdr *)p;
	h->nlmsg_seq = last_req.nlmsg_seq;
	h->nlmsg_pid = last_req.nlmsg_pid;
	if (last_req.nlmsg_flags & NLM_F_DUMP) {
		h->nlmsg_type = NLMSG_DONE;
		h->nlmsg_flags = NLM_F_MULTI;
		h->nlmsg_len = NLMSG_LENGTH(sizeof(int));
	} else {
		struct nlmsgerr *e = (struct nlmsgerr *)NLMSG_DATA(h);
		h->nlmsg_type = NLMSG_ERROR;
		h->nlmsg_len = NLMSG_LENGTH(sizeof(*e));
		e->error = 0;
		e->msg = last_req;
	}
	p += NLMSG_ALIGN(h->nlmsg_len);
	last_cmd = -1;
	*buf = b;
	return (int)(p - b);
}

int genl_ctrl_resolve(struct nl_sock *sk, const char *name)
{
	if (name && strcmp(name, IPVS_GENL_NAME) == 0) {
		struct nl_cb *cb = nl_socket_get_cb(sk);
		nl_cb_overwrite_send(cb, fake_send);
		nl_cb_overwrite_recv(cb, fake_recv);
		nl_cb_put(cb);
		/* The answers carry the requests' sequence numbers, but libnl
		 * expects the kernel's ordering of multi-part replies. */
		nl_socket_disable_seq_check(sk);
		return FAKE_IPVS_FAMILY;
	}
	int (*real)(struct nl_sock *, const char *) = (int (*)(struct nl_sock *, const char *))dlsym(RTLD_NEXT, "genl_ctrl_resolve");
	return real ? real(sk, name) : -1;
}
