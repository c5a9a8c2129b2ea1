namespace Usher.Backends.Onnx.Tests;

/// <summary>Finds the repository root: the folder above the test binaries that holds <c>Usher.slnx</c>.</summary>
internal static class RepositoryRoot
{
    public static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Usher.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no folder above '{AppContext.BaseDirectory}' holds Usher.slnx; run the tests from the repository's build output");
    }
}
