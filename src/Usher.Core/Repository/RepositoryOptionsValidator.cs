using Usher.Core.Hosting;

namespace Usher.Core.Repository;

/// <summary>
/// The rules of <see cref="RepositoryOptions"/>, defined once: every problem is reported, each naming
/// its key (<c>repository.path</c>); run at start-up by <c>ValidateOnStart</c>.
/// </summary>
internal sealed class RepositoryOptionsValidator : ProblemsValidator<RepositoryOptions>
{
    /// <inheritdoc />
    protected override IEnumerable<string> Check(RepositoryOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Path))
        {
            yield return "repository.path: expected a folder, got nothing";
        }
        else if (!Directory.Exists(options.Path))
        {
            yield return $"repository.path: the folder '{options.Path}' does not exist; pass --model-repository DIR with a folder of <model>/<version>/model.onnx";
        }

        if (options.PollSeconds < 0)
        {
            yield return $"repository.poll_seconds: expected 0 (off) or a positive number of seconds, got {options.PollSeconds}";
        }

        if (options.LoadParallelism < 1)
        {
            yield return $"repository.load_parallelism: expected at least 1, got {options.LoadParallelism}";
        }

        if (options.UnloadTimeoutSeconds < 1)
        {
            yield return $"repository.unload_timeout_seconds: expected at least 1, got {options.UnloadTimeoutSeconds}";
        }
    }
}
