/* pause: the sandbox container of every pod. It holds the pod's namespaces,
 * exits on SIGINT/SIGTERM and reaps zombies (it is PID 1 of a shared PID
 * namespace). Built with gcc -static, so the image needs nothing else. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_term(int sig) { (void)sig; _exit(0); }

static void on_child(int sig) {
	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0) {
	}
}

int main(void) {
	struct sigaction term, child;
	memset(&term, 0, sizeof term);
	memset(&child, 0, sizeof child);
	term.sa_handler = on_term;
	child.sa_handler = on_child;
	child.sa_flags = SA_NOCLDSTOP | SA_RESTART;
	if (sigaction(SIGINT, &term, NULL) < 0 || sigaction(SIGTERM, &term, NULL) < 0 ||
	    sigaction(SIGCHLD, &child, NULL) < 0)
		return 1;
	for (;;)
		pause();
}
