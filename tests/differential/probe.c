/* The differential probe: placed in a container's rootfs as /probe and run as
 * the container's process (or exec'd into it), it prints one JSON object with
 * everything a process can observe of its own setup.  Built static by the
 * suite (gcc -static); needs nothing from the rootfs.
 *
 * What can be normalized from inside is normalized here: lists are sorted,
 * mount ids, device numbers and peer-group numbers are dropped, pipe and
 * socket inode numbers are replaced by their kind.  What only the driver knows
 * (bundle paths, container ids, the host's namespaces) is left as it is and
 * replaced by the driver (tests/differential/diffrun.py).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/ioprio.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <unistd.h>

extern char **environ;

/* ---- a tiny JSON writer --------------------------------------------------- */

static int need_comma;

static void str(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20 || *p >= 0x7f)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

static void sep(void)
{
    if (need_comma)
        putchar(',');
    need_comma = 1;
}

static void key(const char *k)
{
    sep();
    str(k);
    putchar(':');
    need_comma = 0;
}

static void open_obj(const char *k) { if (k) key(k); else sep(); putchar('{'); need_comma = 0; }
static void close_obj(void) { putchar('}'); need_comma = 1; }
static void open_arr(const char *k) { if (k) key(k); else sep(); putchar('['); need_comma = 0; }
static void close_arr(void) { putchar(']'); need_comma = 1; }
static void kv_str(const char *k, const char *v) { key(k); if (v) str(v); else fputs("null", stdout); need_comma = 1; }
static void kv_int(const char *k, long long v) { key(k); printf("%lld", v); need_comma = 1; }
static void kv_bool(const char *k, int v) { key(k); fputs(v ? "true" : "false", stdout); need_comma = 1; }
static void el_str(const char *v) { sep(); str(v); }
static void kv_err(const char *k, int err) { char b[96]; snprintf(b, sizeof b, "error: %s", strerror(err)); kv_str(k, b); }

/* ---- helpers ---------------------------------------------------------------- */

static char *slurp(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (len + 1 >= cap)
            buf = realloc(buf, cap *= 2);
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    buf[len] = 0;
    return buf;
}

static void chomp(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
        s[--n] = 0;
}

/* a file's content, trimmed, or "error: ..." */
static void kv_file(const char *k, const char *path)
{
    char *s = slurp(path);
    if (!s) {
        kv_err(k, errno);
        return;
    }
    chomp(s);
    kv_str(k, s);
    free(s);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

struct strlist {
    char **v;
    size_t n, cap;
};

static void sl_add(struct strlist *l, const char *s)
{
    if (l->n == l->cap)
        l->v = realloc(l->v, (l->cap = l->cap ? l->cap * 2 : 16) * sizeof *l->v);
    l->v[l->n++] = strdup(s);
}

static void sl_emit_sorted(const char *k, struct strlist *l)
{
    qsort(l->v, l->n, sizeof *l->v, cmp_str);
    open_arr(k);
    for (size_t i = 0; i < l->n; i++)
        el_str(l->v[i]);
    close_arr();
}

/* the value of "Name:" in /proc/self/status */
static void status_field(const char *status, const char *name, char *out, size_t outlen)
{
    size_t nl = strlen(name);
    out[0] = 0;
    for (const char *p = status; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncmp(p, name, nl) == 0 && p[nl] == ':') {
            p += nl + 1;
            while (*p == ' ' || *p == '\t')
                p++;
            size_t i = 0;
            while (p[i] && p[i] != '\n' && i + 1 < outlen) {
                out[i] = p[i];
                i++;
            }
            out[i] = 0;
            return;
        }
    }
}

/* ---- sections --------------------------------------------------------------- */

static void ids(void)
{
    uid_t r, e, s;
    gid_t gr, ge, gs;
    getresuid(&r, &e, &s);
    getresgid(&gr, &ge, &gs);
    open_obj("ids");
    kv_int("uid", r); kv_int("euid", e); kv_int("suid", s);
    kv_int("gid", gr); kv_int("egid", ge); kv_int("sgid", gs);
    gid_t groups[NGROUPS_MAX];
    int n = getgroups(NGROUPS_MAX, groups);
    struct strlist l = {0};
    char b[32];
    for (int i = 0; i < n; i++) {
        snprintf(b, sizeof b, "%010u", (unsigned)groups[i]);
        sl_add(&l, b);
    }
    qsort(l.v, l.n, sizeof *l.v, cmp_str);
    open_arr("groups");
    for (size_t i = 0; i < l.n; i++) {
        sep();
        printf("%u", (unsigned)strtoul(l.v[i], NULL, 10));
    }
    close_arr();
    close_obj();
}

static void status_section(void)
{
    static const char *fields[] = {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs",
                                   "Seccomp", "Umask", "SigBlk", "SigIgn", "SigPnd", "ShdPnd",
                                   "Speculation_Store_Bypass", "Cpus_allowed_list",
                                   "Mems_allowed_list"};
    char *st = slurp("/proc/self/status");
    char v[256];
    open_obj("status");
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        status_field(st ? st : "", fields[i], v, sizeof v);
        kv_str(fields[i], v);
    }
    close_obj();
    free(st);
}

static void prctls(void)
{
    open_obj("prctl");
    kv_int("no_new_privs", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    kv_int("seccomp", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
    kv_int("dumpable", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
    kv_int("keepcaps", prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0));
    kv_int("securebits", prctl(PR_GET_SECUREBITS, 0, 0, 0, 0));
    int sig = 0;
    prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0);
    kv_int("pdeathsig", sig);
    int sub = 0;
    prctl(PR_GET_CHILD_SUBREAPER, &sub, 0, 0, 0);
    kv_int("child_subreaper", sub);
    kv_int("thp_disable", prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0));
    kv_int("timerslack", prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
    close_obj();
}

static void env_section(void)
{
    struct strlist l = {0};
    for (char **e = environ; *e; e++)
        sl_add(&l, *e);
    sl_emit_sorted("env", &l);
}

static void rlimits(void)
{
    static const struct { const char *name; int res; } tab[] = {
        {"RLIMIT_AS", RLIMIT_AS}, {"RLIMIT_CORE", RLIMIT_CORE}, {"RLIMIT_CPU", RLIMIT_CPU},
        {"RLIMIT_DATA", RLIMIT_DATA}, {"RLIMIT_FSIZE", RLIMIT_FSIZE}, {"RLIMIT_LOCKS", RLIMIT_LOCKS},
        {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK}, {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
        {"RLIMIT_NICE", RLIMIT_NICE}, {"RLIMIT_NOFILE", RLIMIT_NOFILE}, {"RLIMIT_NPROC", RLIMIT_NPROC},
        {"RLIMIT_RSS", RLIMIT_RSS}, {"RLIMIT_RTPRIO", RLIMIT_RTPRIO}, {"RLIMIT_RTTIME", RLIMIT_RTTIME},
        {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING}, {"RLIMIT_STACK", RLIMIT_STACK},
    };
    open_obj("rlimits");
    for (size_t i = 0; i < sizeof tab / sizeof *tab; i++) {
        struct rlimit rl;
        char b[64], s[24], h[24];
        getrlimit(tab[i].res, &rl);
        if (rl.rlim_cur == RLIM_INFINITY) strcpy(s, "unlimited"); else snprintf(s, sizeof s, "%llu", (unsigned long long)rl.rlim_cur);
        if (rl.rlim_max == RLIM_INFINITY) strcpy(h, "unlimited"); else snprintf(h, sizeof h, "%llu", (unsigned long long)rl.rlim_max);
        snprintf(b, sizeof b, "%s/%s", s, h);
        kv_str(tab[i].name, b);
    }
    close_obj();
}

static void uts(void)
{
    struct utsname u;
    uname(&u);
    open_obj("uts");
    kv_str("hostname", u.nodename);
    kv_str("domainname", u.domainname);
    close_obj();
}

/* raw namespace links: the driver says which are the host's */
static void namespaces(void)
{
    static const char *kinds[] = {"cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "time",
                                  "time_for_children", "user", "uts"};
    open_obj("ns");
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        char p[64], t[128];
        snprintf(p, sizeof p, "/proc/self/ns/%s", kinds[i]);
        ssize_t n = readlink(p, t, sizeof t - 1);
        if (n < 0) {
            kv_err(kinds[i], errno);
            continue;
        }
        t[n] = 0;
        kv_str(kinds[i], t);
    }
    close_obj();
}

/* unescape mountinfo's octal escapes in place */
static void unoctal(char *s)
{
    char *o = s;
    for (char *p = s; *p;) {
        if (p[0] == '\\' && p[1] >= '0' && p[1] <= '7' && p[2] && p[3]) {
            *o++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
            p += 4;
        } else {
            *o++ = *p++;
        }
    }
    *o = 0;
}

/* per mount: point, root within its filesystem, type, source, the per-mount
 * options, the superblock options and the propagation (without peer ids) */
static void mountinfo(void)
{
    char *mi = slurp("/proc/self/mountinfo");
    open_arr("mounts");
    for (char *line = mi ? strtok(mi, "\n") : NULL; line; line = strtok(NULL, "\n")) {
        char *f[64];
        int n = 0;
        char *save = NULL;
        for (char *t = strtok_r(line, " ", &save); t && n < 64; t = strtok_r(NULL, " ", &save))
            f[n++] = t;
        int dash = -1;
        for (int i = 6; i < n; i++)
            if (strcmp(f[i], "-") == 0) {
                dash = i;
                break;
            }
        if (dash < 0 || dash + 3 >= n)
            continue;
        unoctal(f[3]);
        unoctal(f[4]);
        unoctal(f[dash + 2]);
        open_obj(NULL);
        kv_str("point", f[4]);
        kv_str("root", f[3]);
        kv_str("type", f[dash + 1]);
        kv_str("source", f[dash + 2]);
        kv_str("options", f[5]);
        kv_str("super", f[dash + 3]);
        char prop[128] = "";
        for (int i = 6; i < dash; i++) {
            char tag[32];
            snprintf(tag, sizeof tag, "%.*s", (int)strcspn(f[i], ":"), f[i]);
            if (prop[0])
                strncat(prop, ",", sizeof prop - strlen(prop) - 1);
            strncat(prop, tag, sizeof prop - strlen(prop) - 1);
        }
        kv_str("propagation", prop[0] ? prop : "private");
        close_obj();
    }
    close_arr();
    free(mi);
}

/* /dev, recursively (one level below its top is enough for pts, shm, mqueue) */
static void dev_walk(const char *dir, int depth, struct strlist *l)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char p[PATH_MAX], line[PATH_MAX + 256];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(p, &st) < 0)
            continue;
        char extra[PATH_MAX + 8] = "";
        if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
            snprintf(extra, sizeof extra, " %c%u:%u", S_ISCHR(st.st_mode) ? 'c' : 'b',
                     major(st.st_rdev), minor(st.st_rdev));
        } else if (S_ISLNK(st.st_mode)) {
            char t[PATH_MAX];
            ssize_t n = readlink(p, t, sizeof t - 1);
            t[n < 0 ? 0 : n] = 0;
            snprintf(extra, sizeof extra, " -> %s", t);
        }
        const char *kind = S_ISDIR(st.st_mode) ? "dir" : S_ISREG(st.st_mode) ? "file"
                         : S_ISLNK(st.st_mode) ? "link" : S_ISCHR(st.st_mode) ? "char"
                         : S_ISBLK(st.st_mode) ? "block" : S_ISFIFO(st.st_mode) ? "fifo" : "socket";
        snprintf(line, sizeof line, "%s %s %04o %u:%u%s", p, kind, (unsigned)(st.st_mode & 07777),
                 (unsigned)st.st_uid, (unsigned)st.st_gid, extra);
        sl_add(l, line);
        if (S_ISDIR(st.st_mode) && depth < 2)
            dev_walk(p, depth + 1, l);
    }
    closedir(d);
}

static void devices(void)
{
    struct strlist l = {0};
    dev_walk("/dev", 0, &l);
    sl_emit_sorted("dev", &l);
}

/* namespaced sysctls (and a few global ones a config could not change) */
static void sysctls(void)
{
    static const char *names[] = {
        "kernel/msgmax", "kernel/msgmnb", "kernel/msgmni", "kernel/sem", "kernel/shmall",
        "kernel/shmmax", "kernel/shmmni", "kernel/shm_rmid_forced", "fs/mqueue/msg_max",
        "fs/mqueue/msgsize_max", "fs/mqueue/queues_max", "net/ipv4/ip_forward",
        "net/ipv4/ping_group_range", "net/ipv4/ip_unprivileged_port_start",
        "net/ipv4/tcp_syncookies", "net/ipv4/ip_local_port_range", "net/ipv4/tcp_keepalive_time",
        "net/ipv4/conf/all/rp_filter", "net/ipv6/conf/all/disable_ipv6", "net/core/somaxconn",
        "kernel/hostname", "kernel/domainname", "user/max_user_namespaces",
    };
    open_obj("sysctl");
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char p[128], k[128];
        snprintf(p, sizeof p, "/proc/sys/%s", names[i]);
        snprintf(k, sizeof k, "%s", names[i]);
        for (char *c = k; *c; c++)
            if (*c == '/')
                *c = '.';
        char *s = slurp(p);
        if (!s) {
            kv_err(k, errno);
            continue;
        }
        chomp(s);
        for (char *c = s; *c; c++)
            if (*c == '\t')
                *c = ' ';
        kv_str(k, s);
        free(s);
    }
    close_obj();
}

/* the limit files of the cgroup the process sees under /sys/fs/cgroup (when
 * the config mounts it), and /proc/self/cgroup */
static void cgroups(void)
{
    static const char *files[] = {
        "memory/memory.limit_in_bytes", "memory/memory.soft_limit_in_bytes",
        "memory/memory.memsw.limit_in_bytes", "memory/memory.swappiness",
        "memory/memory.kmem.limit_in_bytes", "memory/memory.kmem.tcp.limit_in_bytes",
        "memory/memory.oom_control", "memory/memory.use_hierarchy",
        "cpu/cpu.shares", "cpu/cpu.cfs_quota_us", "cpu/cpu.cfs_period_us",
        "cpu/cpu.rt_runtime_us", "cpu/cpu.rt_period_us", "cpuset/cpuset.cpus",
        "cpuset/cpuset.mems", "pids/pids.max", "blkio/blkio.weight", "blkio/blkio.leaf_weight",
        "devices/devices.list", "net_cls/net_cls.classid", "net_prio/net_prio.ifpriomap",
        "freezer/freezer.state", "hugetlb/hugetlb.2MB.limit_in_bytes",
        "unified/cgroup.controllers", "unified/cgroup.subtree_control", "cgroup.controllers",
        "memory.max", "pids.max", "cpu.max", "cpu.weight",
    };
    open_obj("cgroup");
    kv_file("self", "/proc/self/cgroup");
    open_obj("files");
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char p[256];
        snprintf(p, sizeof p, "/sys/fs/cgroup/%s", files[i]);
        char *s = slurp(p);
        if (!s) {
            if (errno != ENOENT)
                kv_err(files[i], errno);
            continue;
        }
        chomp(s);
        kv_str(files[i], s);
        free(s);
    }
    close_obj();
    close_obj();
}

static void fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct strlist l = {0};
    int self = d ? dirfd(d) : -1;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.' || atoi(e->d_name) == self)
            continue;
        char p[64], t[PATH_MAX], line[PATH_MAX + 64];
        snprintf(p, sizeof p, "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(p, t, sizeof t - 1);
        t[n < 0 ? 0 : n] = 0;
        char *br = strchr(t, '[');
        if (br && (!strncmp(t, "pipe:", 5) || !strncmp(t, "socket:", 7) || !strncmp(t, "anon_inode:", 11)))
            *br = 0; /* drop the inode number */
        int fl = fcntl(atoi(e->d_name), F_GETFD);
        int st = fcntl(atoi(e->d_name), F_GETFL);
        snprintf(line, sizeof line, "%3d %s%s acc=%d", atoi(e->d_name), t,
                 (fl & FD_CLOEXEC) ? " cloexec" : "", st & O_ACCMODE);
        sl_add(&l, line);
    }
    if (d)
        closedir(d);
    sl_emit_sorted("fds", &l);
}

static void signals(void)
{
    open_obj("signals");
    /* dispositions as inherited: SIG_IGN or SIG_DFL (a handler cannot survive execve) */
    char ign[512] = "";
    for (int s = 1; s < NSIG; s++) {
        struct sigaction sa;
        if (sigaction(s, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN) {
            char b[16];
            snprintf(b, sizeof b, "%s%d", ign[0] ? "," : "", s);
            strncat(ign, b, sizeof ign - strlen(ign) - 1);
        }
    }
    kv_str("ignored", ign);
    sigset_t set;
    sigprocmask(SIG_BLOCK, NULL, &set);
    char blk[512] = "";
    for (int s = 1; s < NSIG; s++)
        if (sigismember(&set, s) == 1) {
            char b[16];
            snprintf(b, sizeof b, "%s%d", blk[0] ? "," : "", s);
            strncat(blk, b, sizeof blk - strlen(blk) - 1);
        }
    kv_str("blocked", blk);
    close_obj();
}

static void procinfo(void)
{
    pid_t pid = getpid();
    open_obj("process");
    kv_int("pid", pid);
    kv_int("ppid", getppid());
    kv_bool("session_leader", getsid(0) == pid);
    kv_bool("pgrp_leader", getpgrp() == pid);
    kv_int("sid_is_zero", getsid(0) == 0);
    int tty = open("/dev/tty", O_RDONLY | O_CLOEXEC | O_NOCTTY);
    kv_bool("has_ctty", tty >= 0);
    if (tty >= 0)
        close(tty);
    char cwd[PATH_MAX];
    kv_str("cwd", getcwd(cwd, sizeof cwd) ? cwd : "error");
    mode_t m = umask(0);
    umask(m);
    char b[16];
    snprintf(b, sizeof b, "%04o", (unsigned)m);
    kv_str("umask", b);
    kv_file("oom_score_adj", "/proc/self/oom_score_adj");
    kv_file("loginuid", "/proc/self/loginuid");
    kv_file("apparmor", "/proc/self/attr/current");
    kv_file("uid_map", "/proc/self/uid_map");
    kv_file("gid_map", "/proc/self/gid_map");
    kv_file("setgroups", "/proc/self/setgroups");
    kv_file("autogroup", "/proc/self/autogroup");
    char root[PATH_MAX];
    ssize_t n = readlink("/proc/self/root", root, sizeof root - 1);
    root[n < 0 ? 0 : n] = 0;
    kv_str("root", root);
    close_obj();
}

static void sched(void)
{
    open_obj("sched");
    int pol = sched_getscheduler(0);
    kv_int("policy", pol & ~SCHED_RESET_ON_FORK);
    kv_bool("reset_on_fork", (pol & SCHED_RESET_ON_FORK) != 0);
    struct sched_param sp;
    sched_getparam(0, &sp);
    kv_int("priority", sp.sched_priority);
    errno = 0;
    kv_int("nice", getpriority(PRIO_PROCESS, 0));
    kv_int("personality", personality(0xffffffff));
    kv_int("ioprio", syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0));
    cpu_set_t set;
    CPU_ZERO(&set);
    char aff[1024] = "";
    if (sched_getaffinity(0, sizeof set, &set) == 0)
        for (int c = 0; c < CPU_SETSIZE; c++)
            if (CPU_ISSET(c, &set)) {
                char b[16];
                snprintf(b, sizeof b, "%s%d", aff[0] ? "," : "", c);
                strncat(aff, b, sizeof aff - strlen(aff) - 1);
            }
    kv_str("affinity", aff);
    close_obj();
}

static void network(void)
{
    open_obj("net");
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strcpy(ifr.ifr_name, "lo");
    if (s >= 0 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
        kv_bool("lo_up", (ifr.ifr_flags & IFF_UP) != 0);
        kv_bool("lo_running", (ifr.ifr_flags & IFF_RUNNING) != 0);
    } else {
        kv_err("lo_up", errno);
    }
    if (s >= 0)
        close(s);
    struct strlist l = {0};
    char *dev = slurp("/proc/net/dev");
    int line = 0;
    for (char *t = dev ? strtok(dev, "\n") : NULL; t; t = strtok(NULL, "\n"))
        if (++line > 2) {
            while (*t == ' ')
                t++;
            t[strcspn(t, ":")] = 0;
            sl_add(&l, t);
        }
    free(dev);
    sl_emit_sorted("interfaces", &l);
    close_obj();
}

int main(void)
{
    putchar('{');
    ids();
    status_section();
    prctls();
    procinfo();
    env_section();
    rlimits();
    uts();
    namespaces();
    sched();
    signals();
    fds();
    network();
    sysctls();
    cgroups();
    devices();
    mountinfo();
    puts("}");
    return 0;
}
