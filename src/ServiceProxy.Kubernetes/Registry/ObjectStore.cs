using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ServiceProxy.Kubernetes.Registry.Etcd;
using ServiceProxy.Kubernetes.Validation;

namespace ServiceProxy.Kubernetes.Registry;

/// <summary>Creates object stores.</summary>
public static class ObjectStore
{
    /// <summary>
    /// An in-memory store that defaults and validates with <paramref name="validator"/>, allocates
    /// cluster IPs and node ports per <see cref="RegistryOptions.Allocation"/>, and keeps
    /// <see cref="RegistryOptions.WatchHistorySize"/> events for watches. With <paramref name="persistence"/>,
    /// every write is made durable before it is visible, and refused when that fails.
    /// </summary>
    /// <exception cref="FormatException">The service CIDR or node port range is malformed.</exception>
    public static IObjectStore CreateInMemory(
        RegistryOptions options,
        IObjectValidator validator,
        TimeProvider? timeProvider = null,
        ILoggerFactory? loggerFactory = null,
        IObjectPersistence? persistence = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(validator);
        return new InMemoryObjectStore(
            options,
            validator,
            timeProvider ?? TimeProvider.System,
            (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<InMemoryObjectStore>(),
            persistence: persistence);
    }

    /// <summary>
    /// Whether <paramref name="store"/> can commit writes and follows every commit now: false while a
    /// store kept in etcd cannot reach a member with a leader (it serves its last state meanwhile).
    /// Always true for the in-memory store.
    /// </summary>
    public static bool IsAvailable(IObjectStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store is not EtcdObjectStore etcd || etcd.IsAvailable;
    }
}
