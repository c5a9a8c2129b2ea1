namespace Usher.Core.Repository;

/// <summary>Settings of the model repository (section <c>repository</c> of <c>usher.yaml</c>).</summary>
public sealed class RepositoryOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string Section = "Repository";

    /// <summary>The repository folder. Default: the bundled <c>samples/models</c>.</summary>
    public string Path { get; set; } = string.Empty;

    /// <summary>Seconds between scans for new or changed versions; 0 (default) = no polling.</summary>
    public int PollSeconds { get; set; }

    /// <summary>Model versions loaded at the same time; default 4.</summary>
    public int LoadParallelism { get; set; } = 4;

    /// <summary>How long an unloaded or replaced version may take to finish its in-flight requests; default 30 s.</summary>
    public int UnloadTimeoutSeconds { get; set; } = 30;

    /// <summary>Server readiness needs every model ready (Triton's strict readiness); default true.</summary>
    public bool StrictReadiness { get; set; } = true;

    /// <summary>Every problem with these settings, empty when valid.</summary>
    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(Path))
        {
            yield return "repository.path: expected a folder, got nothing";
        }
        else if (!Directory.Exists(Path))
        {
            yield return $"repository.path: the folder '{Path}' does not exist; pass --model-repository DIR with a folder of <model>/<version>/model.onnx";
        }

        if (PollSeconds < 0)
        {
            yield return $"repository.poll_seconds: expected 0 (off) or a positive number of seconds, got {PollSeconds}";
        }

        if (LoadParallelism < 1)
        {
            yield return $"repository.load_parallelism: expected at least 1, got {LoadParallelism}";
        }

        if (UnloadTimeoutSeconds < 1)
        {
            yield return $"repository.unload_timeout_seconds: expected at least 1, got {UnloadTimeoutSeconds}";
        }
    }
}
