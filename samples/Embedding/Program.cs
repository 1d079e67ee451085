// The data plane alone, inside a generic host: service ports built in code, no Kubernetes types,
// no YAML (the package ServiceProxy only).
//   dotnet run --project samples/Embedding
// Proxies 127.0.0.1:<free port> to a small echo backend started here, prints one round trip, then
// serves until Ctrl-C. samples/Embedding.Kubernetes does the same from Kubernetes manifests.
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Samples;
using ServiceProxy;
using ServiceProxy.Configuration;

using var backend = EchoBackend.Start();
var frontPort = EchoBackend.FreePort();

// The snapshot of every service port to serve; Update(...) replaces it while the host runs.
var provider = new InMemoryConfigProvider(
[
    new ServicePortConfig
    {
        Key = new ServicePortKey("default", "echo", "tcp", TransportProtocol.Tcp),
        ListenEndPoints = [new IPEndPoint(IPAddress.Loopback, frontPort)],
        Endpoints = [backend.EndPoint],
        Affinity = AffinityConfig.ForClientIP(timeoutSeconds: 600),
    },
]);

var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddSingleton<IProxyConfigProvider>(provider);
builder.Services.AddServiceProxy(options => options.Tcp.IdleTimeout = TimeSpan.FromMinutes(5));
using var host = builder.Build();
await host.StartAsync();

Console.WriteLine($"127.0.0.1:{frontPort} -> {backend.EndPoint} echoed: {await EchoBackend.RoundTripAsync(frontPort)}");

await host.WaitForShutdownAsync();
