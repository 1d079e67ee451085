using System.Net;
using ServiceProxy.FunctionalTests.Host;
using HostManifests = ServiceProxy.FunctionalTests.Host.Manifests;

namespace ServiceProxy.FunctionalTests.Hostile;

/// <summary>
/// The real <c>svcproxy run</c> process with a canary: a NodePort Service in front of a real HTTP pod.
/// A hostile-input test sends its input, then <see cref="AssertServingAsync"/> checks that the process
/// is alive, its admin API answers and the canary still proxies, which is what every client of the
/// node depends on.
/// </summary>
internal sealed class CanaryHost : IAsyncDisposable
{
    private const string PodName = "canary-pod";

    private readonly HttpBackends _backends;
    private readonly string _manifests;

    private CanaryHost(HostProcess host, HttpBackends backends, string manifests, int nodePort)
    {
        Host = host;
        _backends = backends;
        _manifests = manifests;
        NodePort = nodePort;
    }

    public HostProcess Host { get; }

    /// <summary>The canary Service's NodePort on 127.0.0.1.</summary>
    public int NodePort { get; }

    /// <summary>The directory served with <c>-f</c>; it holds <c>canary.yaml</c>.</summary>
    public string ManifestDirectory => _manifests;

    /// <summary>
    /// Starts the host with <paramref name="args"/> besides the canary's own (<c>-f</c> and
    /// <c>--node-port-range</c>), under <c>ulimit -n <paramref name="descriptorLimit"/></c> when given;
    /// <paramref name="readStdout"/> as <see cref="HostProcess.StartAsync"/> takes it.
    /// </summary>
    public static async Task<CanaryHost> StartAsync(
        IEnumerable<string>? args = null, IDictionary<string, string>? environment = null, bool readStdout = true, int? descriptorLimit = null)
    {
        var backends = await HttpBackends.StartAsync(PodName);
        var manifests = Directory.CreateTempSubdirectory("svcproxy-canary-").FullName;
        try
        {
            var nodePort = Ports.FreeTcpPort();
            File.WriteAllText(Path.Combine(manifests, "canary.yaml"), HostManifests.StaticService("canary", nodePort, backends.Pods[0].Port));
            var host = await HostProcess.StartAsync(
                ["-f", manifests, "--node-port-range", $"{nodePort}-{nodePort}", .. args ?? []], environment, readStdout: readStdout, descriptorLimit: descriptorLimit);
            var canary = new CanaryHost(host, backends, manifests, nodePort);
            await canary.AssertServingAsync();
            return canary;
        }
        catch
        {
            await backends.DisposeAsync();
            Directory.Delete(manifests, recursive: true);
            throw;
        }
    }

    /// <summary>The process is alive, <c>/readyz</c> answers 200 and a new connection to the canary reaches its pod.</summary>
    public async Task AssertServingAsync()
    {
        Assert.False(Host.HasExited, "svcproxy exited:\n" + Host.Output);
        using var ready = await Host.Http.GetAsync("/readyz");
        Assert.True(ready.StatusCode == HttpStatusCode.OK, $"/readyz answered {(int)ready.StatusCode}:\n{Host.Output}");
        var bodies = await Curl.LoopAsync($"http://127.0.0.1:{NodePort}/hostname.html", 1, TimeSpan.FromSeconds(20));
        Assert.Equal([PodName], bodies);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await _backends.DisposeAsync();
        Directory.Delete(_manifests, recursive: true);
    }
}
