using System.CommandLine;
using ServiceProxy.Host.Cli;

// The generic host handles SIGTERM and Ctrl-C for `run` and `quickstart` (draining connections);
// System.CommandLine's own handler would race it, so it is turned off.
return await SvcproxyCommand.Create().Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
