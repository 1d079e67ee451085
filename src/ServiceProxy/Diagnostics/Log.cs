namespace ServiceProxy.Diagnostics;

/// <summary>
/// The library's one <c>[LoggerMessage]</c> class, split by component into partial files
/// (Log.Tcp.cs, Log.Udp.cs, …). Event id ranges: server 1–99, TCP 100–199, UDP 200–299,
/// registry 300–399, manifests 400–499, DNS 600–649.
/// </summary>
internal static partial class Log
{
}
