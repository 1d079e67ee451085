using ServiceProxy.Kubernetes.Model;
using ServiceProxy.Kubernetes.Validation;

namespace ServiceProxy.Kubernetes.Manifests;

/// <summary>
/// Maps one object's node tree onto the Model records, knowing every field Kubernetes declares
/// for the kinds ServiceProxy handles. Split by kind into partial files.
/// </summary>
internal sealed partial class ObjectDecoder(DecodeContext context)
{
    public static readonly string[] Kinds = ["Endpoints", "Node", "Pod", "Service"];

    /// <summary>Decodes an object whose <c>kind</c> is known to be one of <see cref="Kinds"/>.</summary>
    public KubeObject Decode(YamlMapping root, string kind) => kind switch
    {
        "Service" => DecodeService(root),
        "Endpoints" => DecodeEndpoints(root),
        "Node" => DecodeNode(root),
        _ => DecodePod(root),
    };

    /// <summary>Reads <c>apiVersion</c> and <c>kind</c>; null (with an error) when either is unusable.</summary>
    public static string? ReadKind(DecodeContext context, YamlMapping root, IReadOnlyCollection<string> kinds)
    {
        string? apiVersion = null, kind = null;
        YamlNode? kindNode = null, apiVersionNode = null;
        foreach (var (key, value) in root.Entries)
        {
            if (key.Value == "apiVersion")
            {
                context.Mark("apiVersion", key);
                apiVersion = context.String(value, "apiVersion");
                apiVersionNode = value;
            }
            else if (key.Value == "kind")
            {
                context.Mark("kind", key);
                kind = context.String(value, "kind");
                kindNode = value;
            }
        }

        var ok = true;
        if (string.IsNullOrEmpty(apiVersion))
        {
            context.Error(apiVersionNode ?? root, new FieldError("apiVersion", FieldErrorType.Required));
            ok = false;
        }
        else if (apiVersion != "v1")
        {
            context.Error(apiVersionNode!, new FieldError("apiVersion", FieldErrorType.NotSupported, FieldErrorListExtensions.SupportedValues("v1"), apiVersion));
            ok = false;
        }

        if (string.IsNullOrEmpty(kind))
        {
            context.Error(kindNode ?? root, new FieldError("kind", FieldErrorType.Required));
            return null;
        }

        if (!kinds.Contains(kind))
        {
            context.Error(kindNode!, new FieldError("kind", FieldErrorType.NotSupported, FieldErrorListExtensions.SupportedValues([.. kinds]), kind));
            return null;
        }

        return ok ? kind : null;
    }

    private ObjectMeta DecodeMetadata(YamlNode node, string path)
    {
        var meta = new ObjectMeta();
        foreach (var (key, value, at) in context.Fields(node, path))
        {
            meta = key switch
            {
                "name" => meta with { Name = context.String(value, at) },
                "generateName" => meta with { GenerateName = context.String(value, at) },
                "namespace" => meta with { Namespace = context.String(value, at) },
                "labels" => meta with { Labels = context.StringMap(value, at) },
                "annotations" => meta with { Annotations = context.StringMap(value, at) },
                "uid" => meta with { Uid = context.String(value, at) },
                "resourceVersion" => meta with { ResourceVersion = context.String(value, at) },
                "generation" => meta with { Generation = context.Long(value, at) },
                "creationTimestamp" => meta with { CreationTimestamp = context.Timestamp(value, at) },

                // Bookkeeping of a real cluster (kubectl get -o yaml) that has no meaning here.
                "selfLink" or "managedFields" or "ownerReferences" or "finalizers"
                    or "deletionTimestamp" or "deletionGracePeriodSeconds" => DecodeContext.Ignored(meta),
                _ => context.Unknown(meta, at, value),
            };
        }

        return meta;
    }

    /// <summary>The <c>apiVersion</c>/<c>kind</c>/<c>metadata</c> fields every object has; false for any other field.</summary>
    private bool TryDecodeCommon<T>(ref T obj, string key, YamlNode value, string path) where T : KubeObject
    {
        switch (key)
        {
            case "apiVersion" or "kind":
                return true; // read by ReadKind
            case "metadata":
                obj = obj with { Metadata = DecodeMetadata(value, path) };
                return true;
            default:
                return false;
        }
    }

    private ObjectReference DecodeObjectReference(YamlNode node, string path)
    {
        var reference = new ObjectReference();
        foreach (var (key, value, at) in context.Fields(node, path))
        {
            reference = key switch
            {
                "kind" => reference with { Kind = context.String(value, at) },
                "namespace" => reference with { Namespace = context.String(value, at) },
                "name" => reference with { Name = context.String(value, at) },
                "uid" => reference with { Uid = context.String(value, at) },
                "resourceVersion" => reference with { ResourceVersion = context.String(value, at) },
                "apiVersion" or "fieldPath" => DecodeContext.Ignored(reference),
                _ => context.Unknown(reference, at, value),
            };
        }

        return reference;
    }
}
