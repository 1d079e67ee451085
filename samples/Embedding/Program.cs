// Embedding ServiceProxy in a generic host, two ways:
//   dotnet run --project samples/Embedding                 # service ports built in code
//   dotnet run --project samples/Embedding -- manifests    # Kubernetes manifests through the registry
// Both proxy 127.0.0.1:<free port> to a small echo backend started here, print one round trip,
// then serve until Ctrl-C.
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ServiceProxy;
using ServiceProxy.Configuration;
using ServiceProxy.Kubernetes.Manifests;
using ServiceProxy.Kubernetes.Registry;
using ServiceProxy.Kubernetes.Validation;

using var backend = new TcpListener(IPAddress.Loopback, 0);
backend.Start();
_ = EchoAsync(backend);
var backendEndPoint = (IPEndPoint)backend.LocalEndpoint;
var frontPort = FreePort();

IProxyConfigProvider provider = args is ["manifests", ..]
    ? FromManifest(frontPort, backendEndPoint)
    : new InMemoryConfigProvider(
    [
        new ServicePortConfig
        {
            Key = new ServicePortKey("default", "echo", "tcp", TransportProtocol.Tcp),
            ListenEndPoints = [new IPEndPoint(IPAddress.Loopback, frontPort)],
            Endpoints = [backendEndPoint],
            Affinity = AffinityConfig.ForClientIP(timeoutSeconds: 600),
        },
    ]);

var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddSingleton(provider);
builder.Services.AddServiceProxy(options => options.Tcp.IdleTimeout = TimeSpan.FromMinutes(5));
using var host = builder.Build();
await host.StartAsync();

using (var client = new TcpClient())
{
    await client.ConnectAsync(IPAddress.Loopback, frontPort);
    var stream = client.GetStream();
    await stream.WriteAsync(Encoding.ASCII.GetBytes("hello through ServiceProxy\n"));
    var buffer = new byte[64];
    var read = await stream.ReadAsync(buffer);
    Console.WriteLine($"127.0.0.1:{frontPort} -> {backendEndPoint} echoed: {Encoding.ASCII.GetString(buffer, 0, read).TrimEnd()}");
}

await host.WaitForShutdownAsync();

// A Service without a selector plus its Endpoints, validated and allocated like kube-apiserver would.
static IProxyConfigProvider FromManifest(int frontPort, IPEndPoint backend)
{
    var yaml = $"""
        apiVersion: v1
        kind: Service
        metadata: {"{"}name: echo{"}"}
        spec:
          externalIPs: [127.0.0.1]
          ports: [{"{"}name: tcp, port: {frontPort}, targetPort: {backend.Port}{"}"}]
        ---
        apiVersion: v1
        kind: Endpoints
        metadata: {"{"}name: echo{"}"}
        subsets:
        - addresses: [{"{"}ip: 127.0.0.1{"}"}]
          ports: [{"{"}name: tcp, port: {backend.Port}{"}"}]
        """;
    var loaded = ManifestReader.LoadText(yaml, "echo.yaml");
    if (!loaded.Succeeded)
    {
        throw new InvalidOperationException(string.Join(Environment.NewLine, loaded.Errors));
    }

    var options = new RegistryOptions();
    var store = ObjectStore.CreateInMemory(options, ObjectValidator.Default);
    foreach (var item in loaded.Objects)
    {
        switch (item.Object)
        {
            case ServiceProxy.Kubernetes.Model.Service service: store.Create(service); break;
            case ServiceProxy.Kubernetes.Model.Endpoints endpoints: store.Create(endpoints); break;
        }
    }

    return new RegistryConfigProvider(store, options);
}

static async Task EchoAsync(TcpListener listener)
{
    while (true)
    {
        var socket = await listener.AcceptSocketAsync();
        _ = Task.Run(async () =>
        {
            using (socket)
            {
                var buffer = new byte[4096];
                int n;
                while ((n = await socket.ReceiveAsync(buffer)) > 0)
                {
                    await socket.SendAsync(buffer.AsMemory(0, n));
                }
            }
        });
    }
}

static int FreePort()
{
    using var probe = new TcpListener(IPAddress.Loopback, 0);
    probe.Start();
    return ((IPEndPoint)probe.LocalEndpoint).Port;
}
