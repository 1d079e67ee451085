using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace ServiceProxy.Host.Hosting;

/// <summary>This machine's unicast addresses, as kube-proxy's node addresses: IPv4 always, IPv6 where the OS has it.</summary>
internal static class LocalAddresses
{
    public static IReadOnlyList<IPAddress> All()
    {
        var addresses = new List<IPAddress>();
        try
        {
            foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                if (nic.OperationalStatus is not (OperationalStatus.Up or OperationalStatus.Unknown))
                {
                    continue;
                }

                foreach (var unicast in nic.GetIPProperties().UnicastAddresses)
                {
                    var ip = unicast.Address;
                    // Link-local IPv6 needs a scope id to bind and is not reachable as a node address.
                    if (ip.AddressFamily == AddressFamily.InterNetwork
                        || (ip.AddressFamily == AddressFamily.InterNetworkV6 && Socket.OSSupportsIPv6 && !ip.IsIPv6LinkLocal))
                    {
                        addresses.Add(ip);
                    }
                }
            }
        }
        catch (NetworkInformationException)
        {
            // No interface list (a restricted sandbox): loopback below still works.
        }

        if (!addresses.Contains(IPAddress.Loopback))
        {
            addresses.Add(IPAddress.Loopback);
        }

        return [.. addresses.Distinct().OrderBy(a => a.AddressFamily).ThenBy(a => a.ToString(), StringComparer.Ordinal)];
    }
}
