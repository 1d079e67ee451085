using System.Text.Json;
using ServiceProxy.Kubernetes.Allocation;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Validation;

namespace ServiceProxy.Kubernetes.Registry;

/// <summary>
/// What every store does to an object before it commits it, wherever it commits it: defaulting,
/// generated names, validation, the metadata the server owns, optimistic-concurrency checks
/// against the stored object, and the generation.
/// </summary>
internal static class ObjectWrites
{
    private const string GenerateNameAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    public static (string Namespace, string Name) KeyOf(KubeObject obj) => (obj.Metadata.NamespaceOrDefault, obj.Metadata.Name ?? string.Empty);

    public static string NamespaceOrDefault(string? @namespace) => string.IsNullOrEmpty(@namespace) ? ObjectMeta.DefaultNamespace : @namespace;

    /// <summary>The namespace filled in, then the validator's defaults.</summary>
    public static T Defaulted<T>(IObjectValidator validator, T obj) where T : KubeObject =>
        validator.ApplyDefaults(
            ObjectKinds.IsClusterScoped(obj.Kind) ? (obj.Metadata.Namespace is null ? obj : obj with { Metadata = obj.Metadata with { Namespace = null } })
            : obj.Metadata.Namespace == obj.Metadata.NamespaceOrDefault ? obj : obj with { Metadata = obj.Metadata with { Namespace = obj.Metadata.NamespaceOrDefault } });

    /// <summary>For a create with generateName and no name: a name <paramref name="taken"/> says is free (the rare collision is retried).</summary>
    public static T WithGeneratedName<T>(T obj, Func<(string Namespace, string Name), bool> taken) where T : KubeObject
    {
        if (!string.IsNullOrEmpty(obj.Metadata.Name) || string.IsNullOrEmpty(obj.Metadata.GenerateName))
        {
            return obj;
        }

        // Kubernetes appends five random characters; retry the rare collision.
        for (var attempt = 0; ; attempt++)
        {
            var suffix = string.Create(5, Random.Shared, (span, random) =>
            {
                for (var i = 0; i < span.Length; i++)
                {
                    span[i] = GenerateNameAlphabet[random.Next(GenerateNameAlphabet.Length)];
                }
            });
            var named = obj with { Metadata = obj.Metadata with { Name = obj.Metadata.GenerateName + suffix } };
            if (!taken(KeyOf(named)) || attempt >= 8)
            {
                return named;
            }
        }
    }

    /// <summary>Throws <see cref="StoreErrorReason.Invalid"/> when the new object fails validation.</summary>
    public static void ValidateCreate(IObjectValidator validator, string kind, KubeObject obj)
    {
        var errors = validator.Validate(obj);
        if (errors.Count > 0)
        {
            throw StoreErrors.Invalid(kind, obj.Metadata.Name ?? string.Empty, errors);
        }
    }

    /// <summary>The metadata the server sets on create.</summary>
    public static T Created<T>(T obj, DateTimeOffset now, string? resourceVersion) where T : KubeObject => obj with
    {
        Metadata = obj.Metadata with
        {
            Uid = Guid.NewGuid().ToString(),
            CreationTimestamp = TruncateToSeconds(now),
            ResourceVersion = resourceVersion,
            Generation = 1,
        },
    };

    /// <summary>
    /// For an update of <paramref name="old"/>: refuses a stale resourceVersion or another uid
    /// (<see cref="StoreErrorReason.Conflict"/>), keeps the server's metadata and a Service's
    /// allocations (or what <paramref name="prepare"/> makes of it), and validates (<see cref="StoreErrorReason.Invalid"/>).
    /// </summary>
    public static T ForUpdate<T>(IObjectValidator validator, string kind, T obj, KubeObject old, Func<T, T>? prepare = null) where T : KubeObject
    {
        var key = KeyOf(obj);
        if ((!string.IsNullOrEmpty(obj.Metadata.ResourceVersion) && obj.Metadata.ResourceVersion != old.Metadata.ResourceVersion)
            || (!string.IsNullOrEmpty(obj.Metadata.Uid) && obj.Metadata.Uid != old.Metadata.Uid))
        {
            throw StoreErrors.Conflict(kind, key.Name);
        }

        obj = obj with
        {
            Metadata = obj.Metadata with
            {
                Uid = old.Metadata.Uid,
                CreationTimestamp = old.Metadata.CreationTimestamp,
                ResourceVersion = old.Metadata.ResourceVersion,
                Generation = old.Metadata.Generation,
            },
        };
        if (prepare is not null)
        {
            obj = prepare(obj);
        }
        else if (obj is Service service && old is Service oldService)
        {
            obj = (T)(KubeObject)ServiceAllocator.CarryOver(service, oldService);
        }

        var errors = validator.Validate(obj, old);
        if (errors.Count > 0)
        {
            throw StoreErrors.Invalid(kind, key.Name, errors);
        }

        return obj;
    }

    /// <summary>The generation moves on when the spec (anything but metadata and status) changed.</summary>
    public static T WithGeneration<T>(T obj, KubeObject old) where T : KubeObject =>
        SameContent(obj, old, includeMetadataAndStatus: false)
            ? obj
            : obj with { Metadata = obj.Metadata with { Generation = (old.Metadata.Generation ?? 0) + 1 } };

    /// <summary>Compares the JSON form; without metadata and status it tells whether the spec changed (generation).</summary>
    public static bool SameContent(KubeObject a, KubeObject b, bool includeMetadataAndStatus)
    {
        static KubeObject Strip(KubeObject o) => o switch
        {
            Service s => s with { Metadata = new(), Status = null },
            Pod p => p with { Metadata = new(), Status = null },
            _ => o with { Metadata = new() },
        };

        if (!includeMetadataAndStatus)
        {
            (a, b) = (Strip(a), Strip(b));
        }

        return JsonSerializer.SerializeToUtf8Bytes(a, a.GetType(), KubeJson.Options)
            .AsSpan()
            .SequenceEqual(JsonSerializer.SerializeToUtf8Bytes(b, b.GetType(), KubeJson.Options));
    }

    private static DateTimeOffset TruncateToSeconds(DateTimeOffset time) =>
        new(time.Ticks - (time.Ticks % TimeSpan.TicksPerSecond), time.Offset);
}
