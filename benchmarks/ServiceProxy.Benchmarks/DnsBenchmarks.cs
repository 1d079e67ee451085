using System.Net;
using System.Text;
using BenchmarkDotNet.Attributes;
using ServiceProxy.Dns;
using ServiceProxy.Dns.Internal;

namespace ServiceProxy.Benchmarks;

/// <summary>
/// Cluster DNS without sockets: answering one query from a zone of 10 000 Services (hit, NXDOMAIN),
/// and the cost of one Service's change (set its records and commit) in that zone.
/// </summary>
[MemoryDiagnoser]
public class DnsBenchmarks
{
    private const int Services = 10_000;

    private readonly byte[] _response = new byte[65535];
    private DnsZone _zone = null!;
    private DnsResponder _responder = null!;
    private byte[] _hit = null!;
    private byte[] _miss = null!;
    private int _change;

    [GlobalSetup]
    public void Setup()
    {
        _zone = new DnsZone("cluster.local", TimeSpan.FromSeconds(5));
        for (var i = 0; i < Services; i++)
        {
            _zone.SetRecords($"svc/default/svc{i}", Records(i, i));
        }

        _zone.Commit();
        _responder = new DnsResponder(_zone, forwarding: false, 1232);
        _hit = Query("svc4242.default.svc.cluster.local");
        _miss = Query("nope.default.svc.cluster.local");
    }

    [Benchmark]
    public int AnswerHit()
    {
        _responder.Respond(_hit, _response, udp: true, out var length);
        return length;
    }

    [Benchmark]
    public int AnswerNxDomain()
    {
        _responder.Respond(_miss, _response, udp: true, out var length);
        return length;
    }

    /// <summary>One Service gets a new cluster IP: its three records change and the zone commits.</summary>
    [Benchmark]
    public void ChangeOneServiceOf10000()
    {
        var i = _change++ % Services;
        _zone.SetRecords($"svc/default/svc{i}", Records(i, i + _change));
        _zone.Commit();
    }

    private static DnsRecord[] Records(int service, int address)
    {
        var name = $"svc{service}.default.svc.cluster.local";
        var ip = new IPAddress([10, 96, (byte)(address >> 8), (byte)address]);
        return [DnsRecord.A(name, ip), DnsRecord.Ptr(ip, name), DnsRecord.Srv($"_http._tcp.{name}", 0, 100, 80, name)];
    }

    private static byte[] Query(string name)
    {
        var bytes = new List<byte> { 0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0 };
        foreach (var label in name.Split('.'))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(Encoding.ASCII.GetBytes(label));
        }

        bytes.AddRange([0, 0, 1, 0, 1]);
        return [.. bytes];
    }
}
