using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ServiceProxy.Configuration;
using ServiceProxy.Kubernetes.Probing;
using ServiceProxy.Kubernetes.Registry;
using ServiceProxy.Kubernetes.Registry.Etcd;
using ServiceProxy.Kubernetes.Validation;

namespace ServiceProxy.Kubernetes;

/// <summary>Registers the Kubernetes control plane in a service collection, beside the data plane's <c>AddServiceProxy</c>.</summary>
public static class RegistryServiceCollectionExtensions
{
    /// <summary>
    /// Registers the object registry and what follows it: <see cref="RegistryOptions"/>, the
    /// <see cref="IObjectValidator"/> (<see cref="ObjectValidator.Default"/> unless one is registered),
    /// the <see cref="IObjectStore"/> (in memory, made durable through an <see cref="IObjectPersistence"/>
    /// when the container has one; in etcd when <see cref="RegistryOptions.Etcd"/> names servers, loaded
    /// by a hosted service that starts before every other), the <see cref="EndpointsController"/> started and stopped with the
    /// host as an <see cref="IHostedService"/>, the readiness prober (the kubelet's readiness probes
    /// for Pods with a <c>readinessProbe</c>, also a hosted service), and the <see cref="RegistryConfigProvider"/> as the data
    /// plane's <see cref="IProxyConfigProvider"/>. TimeProvider and ILoggerFactory are taken from the
    /// container when present. Services registered before are kept. The service CIDR and node port
    /// range are checked when the host starts (<see cref="OptionsValidationException"/>, each failure
    /// beginning with its key, such as <c>Allocation:NodePortRange</c>).
    /// </summary>
    public static IServiceCollection AddServiceProxyRegistry(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<RegistryOptions>();
        return AddRegistry(services, inEtcd: false);
    }

    /// <summary>As <see cref="AddServiceProxyRegistry(IServiceCollection)"/>, with the options set by <paramref name="configure"/>.</summary>
    public static IServiceCollection AddServiceProxyRegistry(this IServiceCollection services, Action<RegistryOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<RegistryOptions>().Configure(configure);
        var probe = new RegistryOptions();
        configure(probe);
        return AddRegistry(services, inEtcd: probe.Etcd.Servers.Count > 0);
    }

    /// <summary>
    /// As <see cref="AddServiceProxyRegistry(IServiceCollection)"/>, with
    /// <see cref="RegistryOptions"/> bound from <paramref name="configuration"/> (a section such as
    /// <c>Registry</c>, whose keys are the property names: <c>Allocation:ServiceCidr</c>,
    /// <c>Allocation:NodePortRange</c>, <c>WatchHistorySize</c>…).
    /// </summary>
    public static IServiceCollection AddServiceProxyRegistry(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<RegistryOptions>().Bind(configuration);
        var servers = configuration.GetSection($"{nameof(RegistryOptions.Etcd)}:{nameof(EtcdOptions.Servers)}");
        return AddRegistry(services, inEtcd: servers.Value is { Length: > 0 } || servers.GetChildren().Any());
    }

    private static IServiceCollection AddRegistry(IServiceCollection services, bool inEtcd)
    {
        services.AddOptions<RegistryOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RegistryOptions>, RegistryOptionsValidator>());
        services.TryAddSingleton<IObjectValidator>(ObjectValidator.Default);
        services.TryAddSingleton(CreateStore);

        // First of all hosted services, whenever this was called: whatever writes or reads the store at start finds it loaded.
        if (inEtcd && !services.Any(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(ObjectStoreLifetime)))
        {
            services.Insert(0, ServiceDescriptor.Singleton<IHostedService, ObjectStoreLifetime>());
        }

        services.TryAddSingleton(sp => new EndpointsController(
            sp.GetRequiredService<IObjectStore>(),
            sp.GetService<ILogger<EndpointsController>>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, EndpointsControllerService>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ReadinessProber>(sp => new ReadinessProber(sp.GetRequiredService<IObjectStore>(), null, sp.GetService<TimeProvider>(), sp.GetService<ILogger<ReadinessProber>>())));
        services.TryAddSingleton(sp => new RegistryConfigProvider(
            sp.GetRequiredService<IObjectStore>(),
            sp.GetRequiredService<IOptions<RegistryOptions>>().Value,
            sp.GetService<ILogger<RegistryConfigProvider>>()));
        services.TryAddSingleton<IProxyConfigProvider>(sp => sp.GetRequiredService<RegistryConfigProvider>());
        return services;
    }

    private static IObjectStore CreateStore(IServiceProvider sp)
    {
        var options = sp.GetRequiredService<IOptions<RegistryOptions>>().Value;
        var validator = sp.GetRequiredService<IObjectValidator>();
        if (options.Etcd.Servers.Count > 0)
        {
            var logger = (sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger<EtcdObjectStore>();
            return new EtcdObjectStore(options, options.Etcd, validator, sp.GetService<TimeProvider>() ?? TimeProvider.System, logger);
        }

        return ObjectStore.CreateInMemory(options, validator, sp.GetService<TimeProvider>(), sp.GetService<ILoggerFactory>(), sp.GetService<IObjectPersistence>());
    }
}
