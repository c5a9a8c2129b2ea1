namespace Usher.Testing;

/// <summary>Finds the source tree's root (the folder holding Usher.slnx) from the test binaries.</summary>
internal static class RepoRoot
{
    private static readonly Lazy<string> Root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Usher.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Usher.slnx not found above " + AppContext.BaseDirectory);
    });

    /// <summary>The root folder.</summary>
    public static string Path => Root.Value;

    /// <summary>A path under the root.</summary>
    public static string Combine(params string[] parts) => System.IO.Path.Combine([Root.Value, .. parts]);
}
