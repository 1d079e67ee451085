using System.Net;
using ServiceProxy.Dns;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Kubernetes.Dns;

/// <summary>
/// The records of one Service (with its Endpoints) or one Pod, as the Kubernetes DNS-Based Service
/// Discovery specification (schema 1.1.0) defines them and CoreDNS's kubernetes plugin serves them.
/// </summary>
internal static class ClusterDnsRecordBuilder
{
    public const string SchemaVersion = "1.1.0";

    /// <summary>
    /// A Service with a cluster IP: A/AAAA at <c>svc.ns.svc.zone</c>, SRV per named port pointing there,
    /// PTR per cluster IP. Headless: A/AAAA per ready endpoint address (also not-ready ones with
    /// <c>publishNotReadyAddresses</c>), each also at <c>hostname.svc.ns.svc.zone</c> (the address,
    /// dashed, when it has no hostname) with its PTR, and SRV per named port and endpoint. ExternalName:
    /// a CNAME. A headless Service without endpoints still exists (NODATA, not NXDOMAIN).
    /// </summary>
    public static IReadOnlyList<DnsRecord> ForService(Service service, Endpoints? endpoints, string zone)
    {
        var ns = service.Metadata.NamespaceOrDefault;
        var name = $"{service.Metadata.Name}.{ns}.svc.{zone}";
        var spec = service.Spec;
        var records = new List<DnsRecord>();
        if (spec.Type == ServiceTypes.ExternalName)
        {
            if (!string.IsNullOrEmpty(spec.ExternalName) && TryRecord(() => DnsRecord.Cname(name, spec.ExternalName), out var cname))
            {
                records.Add(cname);
            }

            return records;
        }

        if (spec.ClusterIP != "None")
        {
            foreach (var ip in ClusterIPs(spec))
            {
                records.Add(DnsRecord.Address(name, ip));
                records.Add(DnsRecord.Ptr(ip, name));
            }

            if (records.Count == 0)
            {
                return records; // not allocated yet
            }

            foreach (var port in spec.Ports ?? [])
            {
                if (!string.IsNullOrEmpty(port.Name))
                {
                    records.Add(DnsRecord.Srv(SrvName(port.Name, port.Protocol, name), 0, 100, (ushort)port.Port, name));
                }
            }

            return records;
        }

        var addresses = ReadyAddresses(endpoints, spec.PublishNotReadyAddresses == true);
        var srv = new List<(string Name, ushort Port, string Target)>();
        foreach (var (address, endpointPorts) in addresses)
        {
            if (!IPAddress.TryParse(address.Ip, out var ip))
            {
                continue;
            }

            var host = $"{EndpointName(address, ip)}.{name}";
            if (!TryRecord(() => DnsRecord.Address(host, ip), out var hostRecord))
            {
                continue;
            }

            records.Add(DnsRecord.Address(name, ip));
            records.Add(hostRecord);
            records.Add(DnsRecord.Ptr(ip, host));
            foreach (var port in endpointPorts)
            {
                if (!string.IsNullOrEmpty(port.Name) && port.Port is > 0 and <= ushort.MaxValue)
                {
                    srv.Add((SrvName(port.Name, port.Protocol, name), (ushort)port.Port, host));
                }
            }
        }

        // Equal weights over the endpoints of each SRV name, summing to about 100, as CoreDNS gives them.
        foreach (var group in srv.GroupBy(r => r.Name))
        {
            var weight = (ushort)Math.Max(1, 100 / group.Count());
            records.AddRange(group.Select(r => DnsRecord.Srv(r.Name, 0, weight, r.Port, r.Target)));
        }

        if (records.Count == 0)
        {
            records.Add(DnsRecord.NameOnly(name));
        }

        return Distinct(records);
    }

    /// <summary><c>a-b-c-d.ns.pod.zone</c> A (or AAAA, colons dashed) for each of the Pod's IPs.</summary>
    public static IReadOnlyList<DnsRecord> ForPod(Pod pod, string zone)
    {
        var ns = pod.Metadata.NamespaceOrDefault;
        var ips = (pod.Status?.PodIPs?.Select(p => p.Ip) ?? []).Append(pod.Status?.PodIP).Distinct();
        var records = new List<DnsRecord>();
        foreach (var text in ips)
        {
            if (IPAddress.TryParse(text, out var ip))
            {
                records.Add(DnsRecord.Address($"{Dashed(ip)}.{ns}.pod.{zone}", ip));
            }
        }

        return records;
    }

    /// <summary><c>dns-version.zone TXT "1.1.0"</c>.</summary>
    public static DnsRecord Version(string zone) => DnsRecord.Txt($"dns-version.{zone}", SchemaVersion);

    /// <summary><c>zone NS ns.dns.zone</c>, and <c>ns.dns.zone</c>'s addresses (those that parse and are not unspecified).</summary>
    public static IEnumerable<DnsRecord> NameServer(string zone, IEnumerable<string> addresses)
    {
        var host = $"ns.dns.{zone}";
        yield return DnsRecord.Ns(zone, host);
        foreach (var text in addresses)
        {
            if (IPAddress.TryParse(text, out var address) && !address.Equals(IPAddress.Any) && !address.Equals(IPAddress.IPv6Any))
            {
                yield return DnsRecord.Address(host, address);
            }
        }
    }

    private static IEnumerable<IPAddress> ClusterIPs(ServiceSpec spec)
    {
        var texts = spec.ClusterIPs is { Count: > 0 } ips ? ips : spec.ClusterIP is { } one ? [one] : [];
        foreach (var text in texts)
        {
            if (IPAddress.TryParse(text, out var ip))
            {
                yield return ip;
            }
        }
    }

    private static List<(EndpointAddress Address, IReadOnlyList<EndpointPort> Ports)> ReadyAddresses(Endpoints? endpoints, bool publishNotReady)
    {
        var result = new List<(EndpointAddress, IReadOnlyList<EndpointPort>)>();
        foreach (var subset in endpoints?.Subsets ?? [])
        {
            var ports = subset.Ports ?? [];
            foreach (var address in subset.Addresses ?? [])
            {
                result.Add((address, ports));
            }

            if (publishNotReady)
            {
                foreach (var address in subset.NotReadyAddresses ?? [])
                {
                    result.Add((address, ports));
                }
            }
        }

        return result;
    }

    /// <summary>The endpoint's hostname, or its address with dashes (<c>10-1-2-3</c>) as CoreDNS names it.</summary>
    private static string EndpointName(EndpointAddress address, IPAddress ip) =>
        string.IsNullOrEmpty(address.Hostname) ? Dashed(ip) : address.Hostname.ToLowerInvariant();

    private static string Dashed(IPAddress ip) => ip.ToString().Replace('.', '-').Replace(':', '-');

    private static string SrvName(string port, string? protocol, string service) =>
        $"_{port.ToLowerInvariant()}._{(protocol ?? "TCP").ToLowerInvariant()}.{service}";

    private static List<DnsRecord> Distinct(List<DnsRecord> records) => [.. records.Distinct()];

    /// <summary>A name built from object fields can still be too long for DNS (253 bytes): such a record is left out.</summary>
    private static bool TryRecord(Func<DnsRecord> build, out DnsRecord record)
    {
        try
        {
            record = build();
            return true;
        }
        catch (ArgumentException)
        {
            record = null!;
            return false;
        }
    }
}
