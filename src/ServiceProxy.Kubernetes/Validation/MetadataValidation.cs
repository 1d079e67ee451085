using System.Text;
using ServiceProxy.Kubernetes.Model;

namespace ServiceProxy.Kubernetes.Validation;

/// <summary><c>ValidateObjectMeta</c>: name (or generateName), namespace, labels and annotations.</summary>
internal static class MetadataValidation
{
    /// <summary>
    /// Kubernetes' <c>TotalAnnotationSizeLimitB</c>: keys and values together, in bytes. Besides
    /// matching kube-apiserver, it bounds what every stored object and watch event can carry.
    /// </summary>
    public const int TotalAnnotationSizeLimitBytes = 256 * 1024;

    public static void Validate(ObjectMeta meta, Func<string, IReadOnlyList<string>> nameRule, List<FieldError> errors)
    {
        if (!string.IsNullOrEmpty(meta.GenerateName))
        {
            // A generated name is the prefix plus random characters, so a trailing '-' is fine.
            var prefix = meta.GenerateName.Length > 1 && meta.GenerateName.EndsWith('-')
                ? meta.GenerateName[..^1] + "a"
                : meta.GenerateName;
            errors.AddInvalid("metadata.generateName", meta.GenerateName, nameRule(prefix));
        }

        if (string.IsNullOrEmpty(meta.Name))
        {
            if (string.IsNullOrEmpty(meta.GenerateName))
            {
                errors.Add(new FieldError("metadata.name", FieldErrorType.Required, "name or generateName is required"));
            }
        }
        else
        {
            errors.AddInvalid("metadata.name", meta.Name, nameRule(meta.Name));
        }

        if (meta.Namespace is { Length: > 0 } ns)
        {
            errors.AddInvalid("metadata.namespace", ns, KubeNames.IsDns1123Label(ns));
        }

        if (meta.Generation is < 0)
        {
            errors.Add(new FieldError("metadata.generation", FieldErrorType.Invalid, "must be greater than or equal to 0", meta.Generation.Value));
        }

        ValidateLabels(meta.Labels, "metadata.labels", errors);
        ValidateAnnotations(meta.Annotations, "metadata.annotations", errors);
    }

    /// <summary><c>ValidateLabels</c>, also used for a Service's selector.</summary>
    public static void ValidateLabels(IReadOnlyDictionary<string, string>? labels, string path, List<FieldError> errors)
    {
        if (labels is null)
        {
            return;
        }

        foreach (var (key, value) in labels)
        {
            errors.AddInvalid(path, key, KubeNames.IsQualifiedName(key));
            errors.AddInvalid(path, value, KubeNames.IsValidLabelValue(value));
        }
    }

    private static void ValidateAnnotations(IReadOnlyDictionary<string, string>? annotations, string path, List<FieldError> errors)
    {
        if (annotations is null)
        {
            return;
        }

        long totalBytes = 0;
        foreach (var (key, value) in annotations)
        {
            errors.AddInvalid(path, key, KubeNames.IsQualifiedName(key.ToLowerInvariant()));
            totalBytes += Encoding.UTF8.GetByteCount(key) + Encoding.UTF8.GetByteCount(value ?? string.Empty);
        }

        if (totalBytes > TotalAnnotationSizeLimitBytes)
        {
            errors.Add(new FieldError(path, FieldErrorType.TooLong, $"must have at most {TotalAnnotationSizeLimitBytes} bytes"));
        }
    }
}

internal static class FieldErrorListExtensions
{
    /// <summary>One <see cref="FieldErrorType.Invalid"/> error per message, as Kubernetes reports them.</summary>
    public static void AddInvalid(this List<FieldError> errors, string path, object? value, IReadOnlyList<string> messages)
    {
        foreach (var message in messages)
        {
            errors.Add(new FieldError(path, FieldErrorType.Invalid, message, value));
        }
    }

    /// <summary>"Required value" for 0 (absent), "Invalid value" out of 1–65535.</summary>
    public static void AddPortNumber(this List<FieldError> errors, string path, int port)
    {
        if (port == 0)
        {
            errors.Add(new FieldError(path, FieldErrorType.Required));
        }
        else
        {
            errors.AddInvalid(path, port, KubeNames.IsValidPortNum(port));
        }
    }

    public static void AddIP(this List<FieldError> errors, string path, string? ip)
    {
        if (!KubeNames.TryParseIP(ip, out _))
        {
            errors.Add(new FieldError(path, FieldErrorType.Invalid, KubeNames.IPAddressMessage, ip ?? string.Empty));
        }
    }

    /// <summary>TCP or UDP. SCTP is valid Kubernetes but ServiceProxy cannot proxy it, so it says so.</summary>
    public static void AddProtocol(this List<FieldError> errors, string path, string? protocol)
    {
        if (string.IsNullOrEmpty(protocol))
        {
            errors.Add(new FieldError(path, FieldErrorType.Required));
        }
        else if (protocol == Protocols.Sctp)
        {
            errors.Add(new FieldError(path, FieldErrorType.NotSupported, SupportedProtocols + " (ServiceProxy does not proxy SCTP)", protocol));
        }
        else if (protocol is not (Protocols.Tcp or Protocols.Udp))
        {
            errors.Add(new FieldError(path, FieldErrorType.NotSupported, SupportedProtocols, protocol));
        }
    }

    public static void AddNotSupported(this List<FieldError> errors, string path, string value, params string[] supported) =>
        errors.Add(new FieldError(path, FieldErrorType.NotSupported, SupportedValues(supported), value));

    /// <summary>Kubernetes' detail for NotSupported: <c>supported values: "A", "B"</c> (sorted).</summary>
    public static string SupportedValues(params string[] supported) =>
        "supported values: " + string.Join(", ", supported.Order(StringComparer.Ordinal).Select(s => $"\"{s}\""));

    private static readonly string SupportedProtocols = SupportedValues(Protocols.Tcp, Protocols.Udp);
}
