using System.Globalization;
using System.Net;

namespace ServiceProxy.Dns.Internal;

/// <summary>Upstream addresses: <c>ADDR</c> or <c>ADDR:PORT</c> strings, or the <c>nameserver</c> lines of resolv.conf.</summary>
internal static class ResolvConf
{
    public const int DnsPort = 53;

    /// <summary>The <c>nameserver</c> addresses of <paramref name="path"/>, in order; none when it cannot be read.</summary>
    public static IReadOnlyList<IPEndPoint> ReadNameservers(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }

        var servers = new List<IPEndPoint>();
        foreach (var line in lines)
        {
            var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields is ["nameserver", var address, ..]
                && IPAddress.TryParse(address.Split('%')[0], out var ip))
            {
                servers.Add(new IPEndPoint(ip, DnsPort));
            }
        }

        return servers;
    }

    /// <summary><c>1.1.1.1</c>, <c>1.1.1.1:5353</c>, <c>::1</c>, <c>[::1]:5353</c>; null when it is none of them.</summary>
    public static IPEndPoint? ParseUpstream(string text)
    {
        if (IPAddress.TryParse(text, out var bare))
        {
            return new IPEndPoint(bare, DnsPort);
        }

        return IPEndPoint.TryParse(text, out var endpoint) && endpoint.Port != 0 ? endpoint : null;
    }

    /// <summary><c>ADDR:PORT</c> with a port of 0–65535; null when it is not one.</summary>
    public static IPEndPoint? ParseListen(string text)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
        {
            return null;
        }

        return IPAddress.TryParse(text.AsSpan(0, colon).Trim("[]"), out var address) ? new IPEndPoint(address, port) : null;
    }
}
