// Package agent is the logic behind the netcheck-probe binary, so its main stays
// a few lines. Three subcommands:
//
//   - agent: the long-lived process of the ephemeral container. An ephemeral
//     container cannot be removed, so the agent exits by itself once no run has
//     been active for --idle-timeout. Runs keep it alive through a heartbeat on
//     an abstract unix socket: no filesystem is needed (the image is FROM
//     scratch) and abstract sockets are per network namespace, which every
//     exec'd run shares with the agent.
//   - run: decode a ProbeRequest, hold the agent's heartbeat, run the checks and
//     write one JSON event per line on stdout as each happens.
//   - version.
package agent
