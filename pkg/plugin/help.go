package plugin

const rootLong = `Diagnose pod network faults from inside a pod.

kubectl netcheck adds a small probe (an ephemeral container) to SOURCE, runs
TCP, ICMP/path-MTU and DNS checks from the pod's own network namespace to every
--to target, and prints a verdict with stable finding IDs (kubectl netcheck
explain ID describes one). The probe exits by itself after 15 minutes idle; a
later run on the same pod reuses it while it runs.

SOURCE (namespace from -n):
  NAME | pod/NAME          a pod, which must be Running
  deploy/NAME              a ready pod of the deployment (shown as "from")
  node/NAME                the node checks alone (no --to): node state,
                           firewall, every network namespace on the node

Modes (--mode):
  auto (default)           the pod view (ephemeral agent); the node view is
                           added when a check fails or with --deep, and node
                           mode runs instead when no agent can join the pod
                           (no ephemeral containers, a static pod, a policy
                           rejecting the root agent). The output says why.
  pod                      the ephemeral agent only
  node                     node pods only: the pod's checks run from its node
                           inside its network namespace
  The node view puts a short-lived node pod (hostNetwork, hostPID,
  privileged, in --node-namespace) on the source pod's node and on each node
  hosting a target, snapshots node state before and after, scans every
  network namespace, and traces each TCP address hop by hop (pod eth0, veth,
  cni0, flannel.1, the node NIC, and the same on the far node), naming where
  probes were last seen. --capture-out DIR writes one pcapng per node. Node
  pods are deleted at the end, on error and on Ctrl-C.

TARGET (--to, repeatable):
  svc/NAME[:PORT]          a Service: its ClusterIP and every ready endpoint
                           (pod and node named), plus DNS for the name. PORT is
                           a number or port name; default the first port.
  svc/NS/NAME[:PORT]       a Service in namespace NS (also svc/NAME.NS[:PORT])
  pod/NAME[:PORT]          a pod IP (pod/NS/NAME for another namespace); PORT is
                           a number or container port name, default the first
                           declared port, none means ICMP only
  IP[:PORT]                an address ([IPv6]:PORT with a port)
  HOST:PORT                a name the pod resolves, then connects to
  dns/NAME                 resolve NAME only: via resolv.conf and each CoreDNS pod

SUITE (-f FILE, or -f - for stdin): checks with expectations, for CI:
  apiVersion: netcheck.kubectl.io/v1alpha1
  kind: CheckSuite
  metadata: {name: shop}          # optional: names the JUnit testsuites
  checks:
  - name: frontend reaches web    # unique
    source: deploy/frontend       # SOURCE syntax
    namespace: shop               # optional, default -n
    targets: [svc/web]            # --to syntax
  - name: db is closed to the frontend
    source: deploy/frontend
    targets: [svc/db:5432]
    count: 5                      # optional, as --count
    expect: blocked               # reachable (the default) or blocked
  reachable: the target passes the diagnosis (no fault finding about it).
  blocked: every TCP connect to every address of the target (a Service's
  ClusterIP and each ready endpoint) is refused, times out or is unreachable;
  one connect that succeeds fails it. DNS and ICMP do not count for blocked.
  -o table|json|yaml|junit (JUnit: one testcase per target and check).

Exit codes:
  0  all checks passed (suite: every expectation met)
  1  a network fault was found (suite: an expectation failed)
  2  inconclusive (something failed but no cause could be named)
  3  could not run (bad arguments, missing objects, permissions, probe image)

Permissions: get, list, watch pods; get services and deployments; list
endpointslices (also in kube-system, for the DNS view); patch
pods/ephemeralcontainers; create pods/exec. deploy/rbac.yaml has these as
Roles. Before creating anything, netcheck asks the API server about each
(SelfSubjectAccessReview) and names every one you lack (--preflight=false
skips this). The probe runs as root with NET_RAW and NET_ADMIN, which Pod
Security "baseline" and "restricted" namespaces reject.

Private registries: --image-pull-secret NAME is given to node pods; in pod
mode the probe is an ephemeral container, which pulls with the source pod's
own imagePullSecrets, so the pod must already list NAME.

The node view also needs create and delete pods in --node-namespace, list
pods and get nodes cluster-wide, and a namespace whose Pod Security level is
"privileged".`

const rootExample = `  # Check a pod's path to a Service (ClusterIP, each endpoint, DNS)
  kubectl netcheck client --to svc/web

  # From a deployment's pod to a Service port in another namespace and a pod
  kubectl netcheck deploy/frontend -n shop --to svc/payments/api:grpc --to pod/cache-0:6379

  # From the nodes: hop-by-hop traces, node state, pcapng per node
  kubectl netcheck client --to svc/web --mode node --node-namespace netcheck --capture-out ./caps

  # A node's own state and every network namespace on it
  kubectl netcheck node/worker-2

  # Raw probe events for scripts; the exit code carries the verdict
  kubectl netcheck client --to svc/web -o ndjson

  # Air-gapped: use a mirrored probe image
  kubectl netcheck client --to svc/web --registry registry.internal:5000/netcheck

  # CI: run a suite of checks with expectations, JUnit for the test report
  kubectl netcheck -f checks.yaml -o junit > netcheck.xml`
