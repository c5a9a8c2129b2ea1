using Microsoft.Extensions.Options;

namespace Usher.Core.Repository;

/// <summary>
/// The rules of <see cref="RepositoryOptions"/>, defined once: every problem is reported, each naming
/// its key (<c>repository.path</c>); run at start-up by <c>ValidateOnStart</c>.
/// </summary>
internal sealed class RepositoryOptionsValidator : IValidateOptions<RepositoryOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, RepositoryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = Problems(options).ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    /// <summary>Every problem with <paramref name="options"/>, empty when valid.</summary>
    public static IEnumerable<string> Problems(RepositoryOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
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
