using System.Globalization;

namespace Usher.Core.Repository;

/// <summary>
/// Reads the layout <c>&lt;repo&gt;/&lt;model&gt;/&lt;version&gt;/model.onnx</c> plus the optional
/// <c>&lt;repo&gt;/&lt;model&gt;/config.yaml</c>. Versions are positive integers written without leading
/// zeros; other entries are ignored and reported.
/// </summary>
internal sealed class RepositoryScanner
{
    /// <summary>The name of a model's configuration file.</summary>
    public const string ConfigFileName = "config.yaml";

    private readonly string _root;
    private readonly string _modelFileName;

    /// <summary>Creates a scanner over <paramref name="root"/>.</summary>
    public RepositoryScanner(string root, string modelFileName)
    {
        _root = Path.GetFullPath(root);
        _modelFileName = modelFileName;
    }

    /// <summary>The repository folder.</summary>
    public string Root => _root;

    /// <summary>The names of the model folders, sorted (hidden folders are skipped).</summary>
    public IReadOnlyList<string> ModelNames()
    {
        if (!Directory.Exists(_root))
        {
            throw new DirectoryNotFoundException($"model repository '{_root}' does not exist");
        }

        return [.. Directory.EnumerateDirectories(_root)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(n => !n.StartsWith('.'))
            .Order(StringComparer.Ordinal)];
    }

    /// <summary>Whether the repository has a model folder named <paramref name="name"/> (without reading it).</summary>
    public bool Contains(string name) => FolderOf(name) is not null;

    /// <summary>Reads one model folder, or returns null when it does not exist.</summary>
    public RepositoryModel? Scan(string name)
    {
        if (FolderOf(name) is not { } dir)
        {
            return null;
        }

        var configPath = Path.Combine(dir, ConfigFileName);
        var hasConfig = File.Exists(configPath);
        var versions = new List<RepositoryVersion>();
        var ignored = new List<string>();
        foreach (var sub in Directory.EnumerateFileSystemEntries(dir))
        {
            var entry = Path.GetFileName(sub);
            if (entry == ConfigFileName || entry.StartsWith('.'))
            {
                continue;
            }

            if (!Directory.Exists(sub))
            {
                ignored.Add($"{entry}: not a version folder");
                continue;
            }

            if (!TryParseVersion(entry, out var version))
            {
                ignored.Add($"{entry}: version folders must be named by a positive integer (1, 2, ...)");
                continue;
            }

            var modelPath = Path.Combine(sub, _modelFileName);
            versions.Add(new RepositoryVersion(version, modelPath, Stamp(modelPath)));
        }

        versions.Sort((a, b) => a.Version.CompareTo(b.Version));
        return new RepositoryModel(name, dir, hasConfig ? configPath : null, hasConfig ? Stamp(configPath) : string.Empty, versions, ignored);
    }

    /// <summary>Parses a version folder name: a positive integer without sign or leading zeros.</summary>
    public static bool TryParseVersion(string text, out long version)
    {
        version = 0;
        return text.Length > 0 && text[0] != '0'
            && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out version)
            && version > 0;
    }

    private static string Stamp(string path)
    {
        var info = new FileInfo(path);
        return info.Exists
            ? string.Create(CultureInfo.InvariantCulture, $"{info.Length}@{info.LastWriteTimeUtc.Ticks}")
            : "missing";
    }

    // The model's folder, or null when the name is not a plain folder name or the folder does not exist.
    private string? FolderOf(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Contains('/') || name.Contains('\\') || name is "." or ".." || name.StartsWith('.'))
        {
            return null;
        }

        var dir = Path.Combine(_root, name);
        return Directory.Exists(dir) ? dir : null;
    }
}
