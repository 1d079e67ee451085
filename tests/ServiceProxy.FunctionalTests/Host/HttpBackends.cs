using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ServiceProxy.FunctionalTests.Host;

/// <summary>Real HTTP "pods" on 127.0.0.1, each on its own OS-picked port, answering their name at /hostname.html.</summary>
internal sealed class HttpBackends : IAsyncDisposable
{
    private readonly List<WebApplication> _apps;

    private HttpBackends(List<WebApplication> apps, IReadOnlyList<(string Name, int Port)> pods)
    {
        _apps = apps;
        Pods = pods;
    }

    public IReadOnlyList<(string Name, int Port)> Pods { get; }

    public static async Task<HttpBackends> StartAsync(params string[] names)
    {
        var apps = new List<WebApplication>();
        var pods = new List<(string, int)>();
        foreach (var name in names)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
            var app = builder.Build();
            app.MapGet("/hostname.html", () => name + "\n");
            app.MapGet("/", () => "Hello MyApp | Version: v1 | <a href=\"hostname.html\">Pod Name</a>\n");
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            apps.Add(app);
            pods.Add((name, BindingAddress.Parse(address).Port));
        }

        return new HttpBackends(apps, pods);
    }

    /// <summary>Pod manifests for these backends: podIP 127.0.0.1, a containerPort named <c>http</c> on each one's port.</summary>
    public string PodManifests(IReadOnlyDictionary<string, string> labels) => string.Join("---\n", Pods.Select(p => $"""
        apiVersion: v1
        kind: Pod
        metadata:
          name: {p.Name}
          labels:
        {string.Concat(labels.Select(l => $"    {l.Key}: {l.Value}\n"))}spec:
          containers:
          - name: app
            ports:
            - name: http
              containerPort: {p.Port}
        status:
          phase: Running
          podIP: 127.0.0.1

        """));

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _apps)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}

/// <summary>Requests through a proxy, each on a new connection, as curl in a loop makes them.</summary>
internal static class Curl
{
    public static async Task<List<string>> LoopAsync(string url, int count, TimeSpan timeout)
    {
        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero }) { Timeout = TimeSpan.FromSeconds(10) };
        using var cancellation = new CancellationTokenSource(timeout);
        var bodies = new List<string>();
        for (var i = 0; i < count; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.ConnectionClose = true;
            using var response = await http.SendAsync(request, cancellation.Token);
            response.EnsureSuccessStatusCode();
            bodies.Add((await response.Content.ReadAsStringAsync(cancellation.Token)).Trim());
        }

        return bodies;
    }
}
