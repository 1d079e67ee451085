namespace ServiceProxy.Host.Cli;

/// <summary>A command failure whose message is printed to stderr as is, kubectl-style; exit code 1.</summary>
internal sealed class CliException(string message) : Exception(message);
