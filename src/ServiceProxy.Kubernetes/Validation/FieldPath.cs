using System.Globalization;

namespace ServiceProxy.Kubernetes.Validation;

/// <summary>Field paths as kube-apiserver writes them in its errors (<c>spec.ports[0].port</c>).</summary>
internal static class FieldPath
{
    /// <summary><paramref name="path"/>'s element <paramref name="index"/>: <c>path[index]</c>.</summary>
    public static string Index(string path, int index) => string.Create(CultureInfo.InvariantCulture, $"{path}[{index}]");
}
