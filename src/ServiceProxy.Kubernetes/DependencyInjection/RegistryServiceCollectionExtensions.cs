using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ServiceProxy.Configuration;
using ServiceProxy.Hosting;
using ServiceProxy.Kubernetes.Events;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Coordination;
using ServiceProxy.Kubernetes.Nodes;
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
    /// by a hosted service that starts before every other; with the in-memory store, an <see cref="IObjectMirror"/> that writes
    /// objects followed from another API into it), the <see cref="ILeaderElection"/> (this process alone, or a campaign on
    /// etcd with <see cref="LeaderElectionOptions.EtcdServers"/>), the <see cref="EndpointsController"/> run
    /// while this process leads as an <see cref="IHostedService"/>, the readiness prober (only while leading too; the kubelet's readiness probes
    /// for Pods with a <c>readinessProbe</c>, also a hosted service), the <see cref="IEventRecorder"/> and the
    /// <see cref="IEventStore"/> it records into (with the data plane's <see cref="IServicePortObserver"/> and the
    /// allocations of Services recorded as Events), this process's Node and its heartbeat Lease
    /// (<see cref="NodeOptions"/>, when named) with the node lifecycle controller that marks silent Nodes
    /// NotReady (hosted services), and the <see cref="RegistryConfigProvider"/> as the data
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
        services.TryAddSingleton<IObjectMirror>(sp => sp.GetRequiredService<IObjectStore>() is InMemoryObjectStore store
            ? new ObjectMirror(store)
            : throw new InvalidOperationException("objects followed from another API are kept in the in-memory store, not in etcd"));

        // First of all hosted services, whenever this was called: whatever writes or reads the store at start finds it loaded.
        if (inEtcd && !services.Any(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(ObjectStoreLifetime)))
        {
            services.Insert(0, ServiceDescriptor.Singleton<IHostedService, ObjectStoreLifetime>());
        }

        services.TryAddSingleton(sp => new EndpointsController(
            sp.GetRequiredService<IObjectStore>(),
            sp.GetService<ILogger<EndpointsController>>()));
        services.TryAddSingleton(CreateLeaderElection);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, LeaderElectionService>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, EndpointsControllerService>());
        services.TryAddSingleton(sp => new EventStore(sp.GetRequiredService<IOptions<RegistryOptions>>().Value.Events, sp.GetService<TimeProvider>()));
        services.TryAddSingleton<IEventStore>(sp => sp.GetRequiredService<EventStore>());
        services.TryAddSingleton<IEventRecorder>(sp => new EventRecorder(
            sp.GetRequiredService<IOptions<RegistryOptions>>().Value.Events,
            sp.GetRequiredService<EventStore>(),
            sp.GetRequiredService<IObjectStore>(),
            sp.GetService<TimeProvider>(),
            sp.GetService<ILogger<EventRecorder>>()));
        services.TryAddSingleton<IServicePortObserver>(sp => new ServicePortEvents(sp.GetRequiredService<IEventRecorder>()));
        // Alone, the leader (this process) probes every Pod. In a cluster each node probes the Pods bound
        // to it, as each kubelet does, whether or not it leads; the leader probes the Pods bound to none.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ReadinessProberService>(sp => new ReadinessProberService(
            () => CreateProber(sp, inEtcd ? pod => string.IsNullOrEmpty(pod.Spec?.NodeName) : null),
            sp.GetRequiredService<ILeaderElection>())));
        if (inEtcd)
        {
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ReadinessProber>(sp =>
            {
                var node = NodeName(sp.GetRequiredService<IOptions<RegistryOptions>>().Value);
                return CreateProber(sp, pod => string.Equals(pod.Spec?.NodeName, node, StringComparison.Ordinal));
            }));

            // Every node's Events in etcd, so each node's API shows them all.
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, EtcdEventSharing>(sp =>
            {
                var options = sp.GetRequiredService<IOptions<RegistryOptions>>().Value;
                return new EtcdEventSharing(sp.GetRequiredService<EventStore>(), options.Etcd, options.Events, sp.GetService<TimeProvider>(),
                    (sp.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger<EtcdEventSharing>());
            }));
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ServiceEventsService>(sp => new ServiceEventsService(
            () => new ServiceEvents(sp.GetRequiredService<IObjectStore>(), sp.GetRequiredService<IEventRecorder>(), sp.GetService<ILogger<ServiceEvents>>()),
            sp.GetRequiredService<ILeaderElection>())));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, NodeHeartbeat>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<RegistryOptions>>().Value;
            return new NodeHeartbeat(sp.GetRequiredService<IObjectStore>(), options.Node, options.NodeAddresses, sp.GetService<TimeProvider>(), sp.GetService<ILogger<NodeHeartbeat>>());
        }));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, NodeLifecycleService>(sp => new NodeLifecycleService(new NodeLifecycleController(
            sp.GetRequiredService<IObjectStore>(),
            sp.GetRequiredService<IOptions<RegistryOptions>>().Value.Node,
            sp.GetService<TimeProvider>(),
            sp.GetService<ILogger<NodeLifecycleController>>(),
            sp.GetRequiredService<IEventRecorder>()),
            sp.GetRequiredService<ILeaderElection>())));
        services.TryAddSingleton(sp => new RegistryConfigProvider(
            sp.GetRequiredService<IObjectStore>(),
            sp.GetRequiredService<IOptions<RegistryOptions>>().Value,
            sp.GetService<ILogger<RegistryConfigProvider>>()));
        services.TryAddSingleton<IProxyConfigProvider>(sp => sp.GetRequiredService<RegistryConfigProvider>());
        return services;
    }

    private static ReadinessProber CreateProber(IServiceProvider sp, Func<Pod, bool>? probes) => new(
        sp.GetRequiredService<IObjectStore>(),
        null,
        sp.GetService<TimeProvider>(),
        sp.GetService<ILogger<ReadinessProber>>(),
        recorder: sp.GetRequiredService<IEventRecorder>(),
        probes: probes);

    private static string NodeName(RegistryOptions options) => options.Node.Name ?? Environment.MachineName.ToLowerInvariant();

    /// <summary>
    /// Alone, this process always leads; with etcd servers (the election's own, else the registry's) it
    /// campaigns, as its node name and a random suffix.
    /// </summary>
    private static ILeaderElection CreateLeaderElection(IServiceProvider sp)
    {
        var options = sp.GetRequiredService<IOptions<RegistryOptions>>().Value;
        if (string.IsNullOrWhiteSpace(options.LeaderElection.EtcdServers) && options.Etcd.Servers.Count > 0)
        {
            options.LeaderElection.EtcdServers = string.Join(',', options.Etcd.Servers);
        }

        var name = NodeName(options);
        if (!options.RunControllers)
        {
            return new NeverLeaderElection(name);
        }

        return string.IsNullOrWhiteSpace(options.LeaderElection.EtcdServers)
            ? new SingleProcessLeaderElection(name)
            : new EtcdLeaderElection($"{name}_{Guid.NewGuid():N}", options.LeaderElection, sp.GetService<TimeProvider>(), sp.GetService<ILogger<EtcdLeaderElection>>());
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
