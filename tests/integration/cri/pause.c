/* The pod sandbox's process for berth's CRI suite: it holds the pod's
 * namespaces, reaps the orphans that land on it when the pod shares its pid
 * namespace (it is pid 1 there), and exits on SIGTERM or SIGINT, as the
 * kubelet's pause image does.  Built statically by the suite (gcc -static). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_stop(int sig) { stop = sig; }

static void on_child(int sig) {
    (void)sig;
    int saved = errno;
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;
    errno = saved;
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    if (sigaction(SIGTERM, &sa, NULL) || sigaction(SIGINT, &sa, NULL)) {
        perror("pause: sigaction");
        return 1;
    }
    sa.sa_handler = on_child;
    sa.sa_flags = SA_NOCLDSTOP | SA_RESTART;
    if (sigaction(SIGCHLD, &sa, NULL)) {
        perror("pause: sigaction");
        return 1;
    }
    while (!stop)
        pause();
    return 0;
}
