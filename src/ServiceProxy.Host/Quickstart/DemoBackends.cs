using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace ServiceProxy.Host.Quickstart;

/// <summary>
/// The quickstart's three "pods": HTTP servers on 127.0.0.11–13 (all loopback on Linux) that answer
/// like the seed's ikubernetes/myapp:v1 image: their pod name at /hostname.html, a banner at /.
/// </summary>
internal sealed class DemoBackends : IAsyncDisposable
{
    public const string Banner = "Hello MyApp | Version: v1 | <a href=\"hostname.html\">Pod Name</a>";

    private readonly WebApplication _app;

    private DemoBackends(WebApplication app, IReadOnlyList<(IPAddress Address, string PodName)> pods, int port)
    {
        _app = app;
        Pods = pods;
        Port = port;
    }

    public IReadOnlyList<(IPAddress Address, string PodName)> Pods { get; }

    public int Port { get; }

    /// <param name="port">The port every pod listens on (a Service has one targetPort); 0 picks one free on all their addresses.</param>
    public static async Task<DemoBackends> StartAsync(IReadOnlyList<(IPAddress Address, string PodName)> pods, int port, CancellationToken cancellationToken)
    {
        if (port == 0)
        {
            port = CommonFreePort(pods.Select(p => p.Address).ToList());
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            foreach (var (address, _) in pods)
            {
                kestrel.Listen(address, port);
            }
        });
        var app = builder.Build();
        var names = pods.ToDictionary(p => p.Address, p => p.PodName);
        app.MapGet("/hostname.html", (HttpContext context) => names[context.Connection.LocalIpAddress!.MapToIPv4()] + "\n");
        app.MapGet("/", () => Results.Content(Banner + "\n", "text/html"));
        await app.StartAsync(cancellationToken);

        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .Select(a => BindingAddress.Parse(a).Port).First();
        return new DemoBackends(app, pods, bound);
    }

    private static int CommonFreePort(IReadOnlyList<IPAddress> addresses)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            using var first = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            first.Bind(new IPEndPoint(addresses[0], 0));
            var candidate = ((IPEndPoint)first.LocalEndPoint!).Port;
            try
            {
                foreach (var address in addresses.Skip(1))
                {
                    using var other = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                    other.Bind(new IPEndPoint(address, candidate));
                }

                return candidate;
            }
            catch (System.Net.Sockets.SocketException)
            {
                // Taken on another address: try another port.
            }
        }

        throw new IOException("no port is free on every demo pod address");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
