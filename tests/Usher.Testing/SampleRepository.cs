namespace Usher.Testing;

/// <summary>Temporary model repositories made of the committed samples and the test models.</summary>
internal static class SampleRepository
{
    /// <summary>Copies a committed sample model (all its versions and its config) into <paramref name="repository"/>, under the name <paramref name="name"/> when given.</summary>
    public static void CopySample(string repository, string model, string? name = null)
    {
        var source = RepoRoot.Combine("samples", "models", model);
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(repository, name ?? model, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }
}
