using System.Globalization;
using System.Text.RegularExpressions;
using ServiceProxy.FunctionalTests.Hostile;

namespace ServiceProxy.FunctionalTests.Dns;

/// <summary>The real <c>svcproxy run --dns 127.0.0.1:0</c> with a canary Service, the cluster's manifests and a fake upstream.</summary>
internal sealed partial class DnsHost : IAsyncDisposable
{
    private readonly string _manifests;

    private DnsHost(CanaryHost canary, string manifests, int port, FakeUpstream? upstream)
    {
        Canary = canary;
        _manifests = manifests;
        Port = port;
        Upstream = upstream;
    }

    public CanaryHost Canary { get; }

    /// <summary>The DNS port (UDP and TCP) on 127.0.0.1.</summary>
    public int Port { get; }

    public FakeUpstream? Upstream { get; }

    public static async Task<DnsHost> StartAsync(string manifests, bool forward = true, params string[] args)
    {
        var directory = Directory.CreateTempSubdirectory("svcproxy-dns-").FullName;
        File.WriteAllText(Path.Combine(directory, "cluster.yaml"), manifests);
        var upstream = forward ? FakeUpstream.Start() : null;
        try
        {
            var canary = await CanaryHost.StartAsync(
                ["-f", directory, "--dns", "127.0.0.1:0", .. forward ? (string[])["--dns-upstream", upstream!.EndPoint.ToString()] : ["--dns-forward", "false"], .. args]);
            var line = await canary.Host.WaitForOutputAsync("(UDP and TCP)", TimeSpan.FromSeconds(20));
            var port = int.Parse(ListeningPort().Match(line).Groups[1].Value, CultureInfo.InvariantCulture);
            return new DnsHost(canary, directory, port, upstream);
        }
        catch
        {
            upstream?.Dispose();
            Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Canary.DisposeAsync();
        Upstream?.Dispose();
        Directory.Delete(_manifests, recursive: true);
    }

    [GeneratedRegex(@"DNS for \S+ listening on 127\.0\.0\.1:(\d+)")]
    private static partial Regex ListeningPort();
}
