using System.Buffers.Binary;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Probing;

namespace ServiceProxy.FunctionalTests.Probing;

/// <summary>
/// The gRPC probe against a real HTTP/2 server (Kestrel, cleartext) speaking grpc.health.v1:
/// SERVING is success, anything else a failure, as the kubelet's gRPC prober decides.
/// </summary>
public sealed class GrpcProbeTests : IAsyncLifetime
{
    private WebApplication _app = null!;
    private int _port;
    private string? _userAgent;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, o => o.Protocols = HttpProtocols.Http2));
        _app = builder.Build();
        _app.MapPost("/grpc.health.v1.Health/Check", CheckAsync);
        await _app.StartAsync();
        _port = BindingAddress.Parse(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
    }

    public async Task DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>"" and "web" serve, "down" does not, "unimplemented" answers as a server without the health service.</summary>
    private async Task CheckAsync(HttpContext context)
    {
        _userAgent = context.Request.Headers.UserAgent.ToString();
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        var frame = body.ToArray();
        var service = frame.Length > 7 ? Encoding.UTF8.GetString(frame, 7, frame[6]) : string.Empty;
        context.Response.ContentType = "application/grpc";
        if (service == "unimplemented")
        {
            context.Response.Headers["grpc-status"] = "12";
            context.Response.Headers["grpc-message"] = "unknown service grpc.health.v1.Health";
            return;
        }

        var status = service == "down" ? (byte)2 : (byte)1;
        var answer = new byte[] { 0, 0, 0, 0, 2, 0x08, status };
        BinaryPrimitives.WriteUInt32BigEndian(answer.AsSpan(1), 2);
        await context.Response.Body.WriteAsync(answer);
        context.Response.AppendTrailer("grpc-status", "0");
    }

    private async Task<ProbeOutcome> ProbeAsync(string? service, int? port = null)
    {
        using var runner = new ProbeRunner();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var probe = new Probe { Grpc = new GrpcAction { Port = port ?? _port, Service = service } };
        return await runner.RunAsync(new ProbeTarget(probe, new Container { Name = "web" }, "127.0.0.1"), timeout.Token);
    }

    [Theory]
    [InlineData("")]
    [InlineData("web")]
    public async Task Serving_is_success(string service)
    {
        Assert.Equal(ProbeOutcome.Success(), await ProbeAsync(service));
        Assert.StartsWith("kube-probe/", _userAgent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Not_serving_is_a_failure() =>
        Assert.Equal(ProbeOutcome.Failure("service unhealthy (responded with \"NOT_SERVING\")"), await ProbeAsync("down"));

    [Fact]
    public async Task A_server_without_the_health_service_fails() =>
        Assert.Equal(
            ProbeOutcome.Failure("this server does not implement the grpc health protocol (grpc.health.v1.Health): unknown service grpc.health.v1.Health"),
            await ProbeAsync("unimplemented"));

    [Fact]
    public async Task A_closed_port_fails()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var outcome = await ProbeAsync(string.Empty, port);

        Assert.Equal(ProbeResult.Failure, outcome.Verdict);
        Assert.StartsWith("failed to connect service", outcome.Message, StringComparison.Ordinal);
    }
}
