using System.Globalization;

namespace Usher.Cli.Profile;

/// <summary>
/// Throw-away model repositories under the system's temporary folder, one per point: the model's
/// version folder linked (copied where links are not allowed) beside the point's <c>config.yaml</c>.
/// The user's repository is only read. Deleted on dispose.
/// </summary>
internal sealed class ScratchRepository : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"usher-profile-{Guid.NewGuid():N}");
    private int _next;

    /// <summary>A repository holding <paramref name="model"/>'s <paramref name="versionDirectory"/> with <paramref name="configYaml"/>; returns its path.</summary>
    public string Create(string model, long version, string versionDirectory, string configYaml)
    {
        var repository = Path.Combine(_root, (++_next).ToString(CultureInfo.InvariantCulture));
        var modelDirectory = Path.Combine(repository, model);
        Directory.CreateDirectory(modelDirectory);
        File.WriteAllText(Path.Combine(modelDirectory, "config.yaml"), configYaml);
        var target = Path.Combine(modelDirectory, version.ToString(CultureInfo.InvariantCulture));
        try
        {
            Directory.CreateSymbolicLink(target, Path.GetFullPath(versionDirectory));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Directory.CreateDirectory(target);
            foreach (var file in Directory.EnumerateFiles(versionDirectory))
            {
                File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
            }
        }

        return repository;
    }

    public void Dispose()
    {
        // Deleting the folder removes the links, never what they point to.
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }
}
