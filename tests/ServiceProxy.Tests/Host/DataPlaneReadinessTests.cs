using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ServiceProxy.Host.Hosting;

namespace ServiceProxy.Tests.Host;

public sealed class DataPlaneReadinessTests
{
    [Fact]
    public async Task The_data_plane_is_ready_only_once_every_hosted_service_has_started_even_those_registered_after()
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSingleton<HostReadiness>();
        builder.Services.AddHostedService<DataPlaneReadiness>();
        builder.Services.AddSingleton<LateService>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<LateService>());
        using var host = builder.Build();

        await host.StartAsync();

        Assert.Contains(HostReadiness.DataPlane, host.Services.GetRequiredService<LateService>().PendingAtStart);
        Assert.DoesNotContain(HostReadiness.DataPlane, host.Services.GetRequiredService<HostReadiness>().Pending);
        await host.StopAsync();
    }

    /// <summary>A hosted service registered after the readiness one, as the data plane's may be.</summary>
    private sealed class LateService(HostReadiness readiness) : IHostedService
    {
        public IReadOnlyList<string> PendingAtStart { get; private set; } = [];

        public Task StartAsync(CancellationToken cancellationToken)
        {
            PendingAtStart = readiness.Pending;
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
