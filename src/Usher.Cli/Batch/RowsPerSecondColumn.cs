using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Usher.Cli.Batch;

/// <summary>A Spectre.Console progress column: the task's speed in rows per second.</summary>
internal sealed class RowsPerSecondColumn : ProgressColumn
{
    /// <inheritdoc />
    public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
        => new Text((task.Speed ?? 0).ToString("N0", CultureInfo.InvariantCulture) + " rows/s");
}
