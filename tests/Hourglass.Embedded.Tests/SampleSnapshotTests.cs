using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Hourglass.Embedded.Tests;

/// <summary>
/// The samples' migrations were written by earlier Hourglass versions: their snapshots must still load, and the samples'
/// models must match them (no pending changes), so an upgrade never asks users for a migration they did not make.
/// </summary>
public sealed class SampleSnapshotTests
{
    // Design time only: no server is asked.
    private const string NoServer = "Host=127.0.0.1;Port=1;Username=nobody;Database=none";

    public static TheoryData<string> Samples => ["Quickstart", "HomeEnergy", "MacroTrading", "MeteoScore", "Sentiment"];

    [Theory]
    [MemberData(nameof(Samples))]
    public void The_existing_migrations_load_and_the_model_has_no_pending_changes(string sample)
    {
        using DbContext context = sample switch
        {
            "Quickstart" => Quickstart.QuickstartContext.Create(NoServer),
            "HomeEnergy" => HomeEnergy.HomeEnergyContext.Create(NoServer),
            "MacroTrading" => MacroTrading.MacroTradingContext.Create(NoServer),
            "Sentiment" => Sentiment.SentimentContext.Create(NoServer),
            _ => MeteoScore.MeteoScoreContext.Create(NoServer),
        };

        Assert.NotEmpty(context.Database.GetMigrations());
        Assert.False(context.Database.HasPendingModelChanges(), $"{sample}'s model differs from its migrations' snapshot");
    }
}
