using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Validation;

namespace ServiceProxy.Host.Admin.ServerSideApply;

/// <summary>
/// The request side of field management: who the manager of a write is (<c>fieldManager</c>, else
/// the User-Agent's product, as kube-apiserver derives it), and the managedFields an update stores.
/// </summary>
internal static class ManagedFieldsTracking
{
    /// <summary>kube-apiserver's limit on a field manager's name, in bytes.</summary>
    public const int MaxManagerLength = 128;

    private static readonly ConcurrentDictionary<string, FieldManager> Managers = new(StringComparer.Ordinal);

    public static FieldManager ManagerFor(KubeResource resource) =>
        Managers.GetOrAdd(resource.Kind, kind => new FieldManager(OpenApiTypeSchemas.Served.ForKind(kind)));

    /// <summary>The <c>fieldManager</c> of the request, validated; without one, the User-Agent's product (<c>kubectl</c> of <c>kubectl/v1.32.4 …</c>).</summary>
    /// <param name="context">The request.</param>
    /// <param name="optionsKind"><c>CreateOptions</c>, <c>UpdateOptions</c> or <c>PatchOptions</c>, which errors name.</param>
    /// <param name="required">An apply needs one.</param>
    public static string ManagerOf(HttpContext context, string optionsKind, bool required = false)
    {
        var sent = context.Request.Query["fieldManager"].ToString();
        var errors = new List<FieldError>();
        if (sent.Length == 0 && required)
        {
            errors.Add(new FieldError("fieldManager", FieldErrorType.Required, "is required for apply patch"));
        }
        else if (Encoding.UTF8.GetByteCount(sent) > MaxManagerLength)
        {
            errors.Add(new FieldError("fieldManager", FieldErrorType.TooLong, $"may not be more than {MaxManagerLength} bytes"));
        }
        else if (sent.Any(char.IsControl))
        {
            errors.Add(new FieldError("fieldManager", FieldErrorType.Invalid, "must only contain printable characters", sent));
        }

        if (errors.Count > 0)
        {
            throw new ApiException(InvalidOptions(optionsKind, errors));
        }

        return sent.Length > 0 ? sent : FromUserAgent(context.Request.Headers.UserAgent.ToString());
    }

    /// <summary>kube-apiserver's 422 for bad request options: <c>PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: …</c>.</summary>
    public static ApiStatus InvalidOptions(string optionsKind, IReadOnlyList<FieldError> errors)
    {
        var summary = errors.Count == 1 ? errors[0].ToString() : $"[{string.Join(", ", errors)}]";
        return ApiStatus.Failure(422, "Invalid", $"{optionsKind}.meta.k8s.io \"\" is invalid: {summary}", new StatusDetails
        {
            Group = "meta.k8s.io",
            Kind = optionsKind,
            Name = string.Empty,
            Causes = [.. errors.Select(e => new StatusCause(e.Reason, e.Message, e.Field))],
        });
    }

    /// <summary>
    /// <paramref name="updated"/> with the managedFields kube-apiserver records for this update from
    /// <paramref name="live"/> (null: a create) by <paramref name="manager"/>.
    /// </summary>
    public static KubeObject Track(HttpContext context, KubeResource resource, KubeObject? live, KubeObject updated, string manager)
    {
        var validator = context.RequestServices.GetService<IObjectValidator>() ?? ObjectValidator.Default;
        try
        {
            var entries = ManagerFor(resource).Update(
                live is null ? null : JsonOf(live),
                live?.Metadata.ManagedFields,
                JsonOf(validator.ApplyDefaults(updated)),
                updated.Metadata.ManagedFields,
                manager,
                Now(context));
            return WithManagedFields(updated, entries);
        }
        catch (TooManyManagersException e)
        {
            throw new ApiException(ApiStatus.Invalid(resource.Kind, updated.Metadata.Name ?? string.Empty, [e.Cause]));
        }
        catch (FormatException)
        {
            // An item without its key is refused by validation, which words it better; keep what was there.
            return WithManagedFields(updated, live?.Metadata.ManagedFields ?? []);
        }
    }

    public static KubeObject WithManagedFields(KubeObject obj, IReadOnlyList<ManagedFieldsEntry> entries) =>
        obj with { Metadata = obj.Metadata with { ManagedFields = entries.Count == 0 ? null : entries } };

    /// <summary>The object as JSON, without its managedFields.</summary>
    public static JsonObject JsonOf(KubeObject obj)
    {
        var node = (JsonObject)JsonSerializer.SerializeToNode(obj, obj.GetType(), KubeJson.Options)!;
        (node["metadata"] as JsonObject)?.Remove("managedFields");
        return node;
    }

    public static DateTimeOffset Now(HttpContext context)
    {
        var now = (context.RequestServices.GetService<TimeProvider>() ?? TimeProvider.System).GetUtcNow();
        return new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
    }

    /// <summary>The product of a User-Agent (before the first <c>/</c>), printable characters only, at most 128.</summary>
    public static string FromUserAgent(string userAgent)
    {
        var product = userAgent.Split('/')[0];
        var text = new StringBuilder();
        foreach (var c in product.Where(c => !char.IsControl(c)))
        {
            if (text.Length >= MaxManagerLength)
            {
                break;
            }

            text.Append(c);
        }

        return text.ToString();
    }
}
