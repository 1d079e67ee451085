using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using ServiceProxy.Configuration;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Registry;
using static ServiceProxy.Tests.Kubernetes.Registry.Objects;

namespace ServiceProxy.Tests.Kubernetes.Registry;

/// <summary>The <c>serviceproxy.io/outlier-*</c> annotations in the data plane's snapshot.</summary>
public sealed class OutlierAnnotationTests
{
    private static (IObjectStore Store, RegistryConfigProvider Provider, FakeLogger<RegistryConfigProvider> Logger) Create()
    {
        var options = new RegistryOptions();
        var store = ObjectStore.CreateInMemory(options, new TestValidator());
        var logger = new FakeLogger<RegistryConfigProvider>();
        return (store, new RegistryConfigProvider(store, options, logger), logger);
    }

    private static Service Annotated(Dictionary<string, string> annotations)
    {
        var service = Service("web", null, Port(80, "http", Protocols.Tcp), Port(53, "dns", Protocols.Udp));
        return service with { Metadata = service.Metadata with { Annotations = annotations } };
    }

    [Fact]
    public async Task Without_annotations_tcp_ports_get_the_defaults_and_udp_ports_none()
    {
        var (store, provider, _) = Create();
        using var _p = provider;
        await store.CreateAsync(Annotated([]));

        var ports = provider.GetConfig().Ports;
        Assert.Equal(OutlierDetectionConfig.Default, ports.Single(p => p.Key.Protocol == TransportProtocol.Tcp).OutlierDetection);
        Assert.False(ports.Single(p => p.Key.Protocol == TransportProtocol.Udp).OutlierDetection.Enabled);
    }

    [Fact]
    public async Task The_annotations_set_each_value_and_a_change_updates_the_port_in_place()
    {
        var (store, provider, _) = Create();
        using var _p = provider;
        await store.CreateAsync(Annotated(new()
        {
            [RegistryConfigProvider.OutlierConsecutiveFailuresAnnotation] = "3",
            [RegistryConfigProvider.OutlierBaseEjectionSecondsAnnotation] = "2",
            [RegistryConfigProvider.OutlierMaxEjectionPercentAnnotation] = "100",
        }));

        var tcp = provider.GetConfig().Ports.Single(p => p.Key.Protocol == TransportProtocol.Tcp);

        Assert.Equal(new OutlierDetectionConfig(3, TimeSpan.FromSeconds(2), 100), tcp.OutlierDetection);
        var changed = tcp with { OutlierDetection = OutlierDetectionConfig.Disabled };
        Assert.NotEqual(tcp, changed);
        Assert.True(tcp.HasSameListeners(changed));
    }

    [Fact]
    public async Task Zero_consecutive_failures_turns_passive_health_off()
    {
        var (store, provider, _) = Create();
        using var _p = provider;
        await store.CreateAsync(Annotated(new() { [RegistryConfigProvider.OutlierConsecutiveFailuresAnnotation] = "0" }));

        var tcp = provider.GetConfig().Ports.Single(p => p.Key.Protocol == TransportProtocol.Tcp);

        Assert.False(tcp.OutlierDetection.Enabled);
        Assert.Equal(OutlierDetectionConfig.DefaultBaseEjectionTime, tcp.OutlierDetection.BaseEjectionTime);
    }

    [Theory]
    [InlineData(RegistryConfigProvider.OutlierConsecutiveFailuresAnnotation, "-1")]
    [InlineData(RegistryConfigProvider.OutlierConsecutiveFailuresAnnotation, "1001")]
    [InlineData(RegistryConfigProvider.OutlierBaseEjectionSecondsAnnotation, "0")]
    [InlineData(RegistryConfigProvider.OutlierBaseEjectionSecondsAnnotation, "30s")]
    [InlineData(RegistryConfigProvider.OutlierMaxEjectionPercentAnnotation, "101")]
    [InlineData(RegistryConfigProvider.OutlierMaxEjectionPercentAnnotation, " 5")]
    public async Task A_bad_value_that_got_past_validation_is_ignored_with_a_warning(string annotation, string value)
    {
        var (store, provider, logger) = Create();
        using var _p = provider;
        await store.CreateAsync(Annotated(new() { [annotation] = value }));

        Assert.Equal(OutlierDetectionConfig.Default, provider.GetConfig().Ports.Single(p => p.Key.Protocol == TransportProtocol.Tcp).OutlierDetection);
        Assert.Contains(logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning
            && r.Message.Contains(annotation, StringComparison.Ordinal) && r.Message.Contains($"\"{value}\"", StringComparison.Ordinal));
    }
}
