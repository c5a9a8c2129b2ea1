using Microsoft.Extensions.Options;

namespace Usher.Core.Hosting;

/// <summary>
/// The shape every options validator shares (YARP's config validators): a subclass lists the
/// problems with an options value, each message naming its key (<c>scheduling.max_queue_size: ...</c>);
/// this base reports all of them together, so one start-up names every mistake, not the first.
/// </summary>
/// <typeparam name="TOptions">The options type the rules are for.</typeparam>
internal abstract class ProblemsValidator<TOptions> : IValidateOptions<TOptions>
    where TOptions : class
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        var problems = Problems(options);
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }

    /// <summary>Every problem with <paramref name="options"/>, in order; empty when valid.</summary>
    public IReadOnlyList<string> Problems(TOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return [.. Check(options)];
    }

    /// <summary>The rules: yields one message per problem, each starting with its key.</summary>
    protected abstract IEnumerable<string> Check(TOptions options);
}
