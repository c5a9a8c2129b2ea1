namespace Usher.Streaming.Hosting;

/// <summary>The <c>streams:</c> section is wrong; the message lists every problem, one a line.</summary>
internal sealed class StreamsConfigException(IReadOnlyList<string> problems) : Exception(string.Join(Environment.NewLine, problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
