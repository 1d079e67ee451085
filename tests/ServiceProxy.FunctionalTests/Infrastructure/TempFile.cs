namespace ServiceProxy.FunctionalTests.Infrastructure;

/// <summary>A file with the given text, deleted on dispose.</summary>
internal sealed class TempFile : IDisposable
{
    public TempFile(string text)
    {
        File.WriteAllText(Path, text);
    }

    public string Path { get; } = System.IO.Path.GetTempFileName();

    public void Dispose() => File.Delete(Path);
}
