using Usher.Backends.Onnx.Samples;

namespace Usher.Cli.Commands;

/// <summary>
/// The sample model repository that ships with the source (<c>samples/models</c>): found from the
/// working folder or the program's folder upwards. Large samples are never committed; they are
/// generated here on first use.
/// </summary>
internal static class BundledSamples
{
    public const string RelativePath = "samples/models";

    public static string? Locate()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, RelativePath);
                if (Directory.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>Writes whichever sample models are missing (the large ones on first use).</summary>
    public static void EnsureGenerated(string repository, TextWriter log)
    {
        var missing = !File.Exists(Path.Combine(repository, "mlp-large", "1", "model.onnx"))
            || !File.Exists(Path.Combine(repository, "fraud", "1", "model.onnx"));
        if (missing)
        {
            log.WriteLine($"Generating sample models in {repository} (first use) ...");
            SampleModels.Generate(repository, includeLarge: true, overwrite: false);
        }
    }
}
