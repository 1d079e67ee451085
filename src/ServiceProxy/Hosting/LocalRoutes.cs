using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ServiceProxy.Diagnostics;
using ServiceProxy.Internal.Linux;

namespace ServiceProxy.Hosting;

/// <summary>
/// Sets up <see cref="ServiceProxyOptions.LocalRoutes"/> before the data plane starts, and on stop
/// removes the ones it added (never a route that was there before). A route it cannot add (no
/// CAP_NET_ADMIN, not Linux) is logged with the command that adds it, and the host starts anyway.
/// </summary>
internal sealed class LocalRoutes(IOptions<ServiceProxyOptions> options, ILoggerFactory? loggerFactory = null)
{
    private readonly ILogger _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("ServiceProxy.Routes");
    private readonly List<IPNetwork> _added = [];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var text in options.Value.LocalRoutes)
        {
            var network = IPNetwork.Parse(text.Trim());
            var error = OperatingSystem.IsLinux() ? RouteNetlink.AddLocal(network) : -1;
            switch (error)
            {
                case 0:
                    _added.Add(network);
                    Log.LocalRouteAdded(_logger, network.ToString());
                    break;
                case RouteNetlink.EEXIST:
                    Log.LocalRoutePresent(_logger, network.ToString());
                    break;
                default:
                    Log.LocalRouteFailed(_logger, network.ToString(), Reason(error), Command("add", network));
                    break;
            }
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var network in _added)
        {
            var error = RouteNetlink.DeleteLocal(network);
            if (error is 0 or RouteNetlink.ESRCH)
            {
                Log.LocalRouteRemoved(_logger, network.ToString());
            }
            else
            {
                Log.LocalRouteRemoveFailed(_logger, network.ToString(), Reason(error), Command("del", network));
            }
        }

        _added.Clear();
        return Task.CompletedTask;
    }

    /// <summary>The iproute2 command that does the same, for operators who prefer to.</summary>
    public static string Command(string verb, IPNetwork network) =>
        $"ip {(network.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6 ? "-6 " : string.Empty)}route {verb} local {network} dev lo";

    private static string Reason(int errno) => errno switch
    {
        -1 => "local routes are set up on Linux only",
        RouteNetlink.EPERM => "not permitted (svcproxy needs CAP_NET_ADMIN)",
        _ => new SocketException(errno).Message,
    };
}
