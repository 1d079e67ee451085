namespace ServiceProxy.Kubernetes.Diagnostics;

/// <summary>
/// The package's one <c>[LoggerMessage]</c> class, split by component into partial files.
/// Event ids: registry, endpoints controller and snapshot builder 300–399, manifests 400–499
/// (the data plane's own <c>Log</c> uses 1–299).
/// </summary>
internal static partial class Log
{
}
