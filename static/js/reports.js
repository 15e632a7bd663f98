// Charts for the capacity-gap report (chart.js, vendored). The data comes from a
// <script type="application/json"> block; the same figures are in the page's tables, so
// the charts only add a picture. No inline scripts: the CSP allows scripts from 'self'.
(function () {
  'use strict';
  var source = document.getElementById('report-chart-data');
  if (!source || typeof window.Chart === 'undefined') {
    return;
  }
  var data = JSON.parse(source.textContent);
  var palette = ['#005eb8', '#da291c', '#ffb81c', '#007f3b', '#330072'];

  var bars = document.getElementById('chart-priorities');
  if (bars && data.bars.labels.length) {
    new window.Chart(bars, {
      type: 'bar',
      data: {
        labels: data.bars.labels,
        datasets: [{ label: 'Priority score', data: data.bars.scores, backgroundColor: '#005eb8' }]
      },
      options: { indexAxis: 'y', animation: false, plugins: { legend: { display: false } } }
    });
  }

  var trend = document.getElementById('chart-trend');
  if (trend) {
    var names = {
      referrals: 'Referrals',
      unmet_needs: 'Unmet needs',
      waitlisted: 'Waitlist entries',
      declined_full: 'Declined because full'
    };
    var datasets = Object.keys(names).map(function (key, i) {
      return {
        label: names[key],
        data: data.trend.series[key],
        borderColor: palette[i],
        backgroundColor: palette[i],
        tension: 0.2
      };
    });
    new window.Chart(trend, {
      type: 'line',
      data: { labels: data.trend.labels, datasets: datasets },
      options: { animation: false, scales: { y: { beginAtZero: true } } }
    });
  }

  var supply = document.getElementById('chart-supply');
  if (supply && data.supply) {
    var supplyNames = { places: 'Places per week', spare: 'Spare places' };
    new window.Chart(supply, {
      type: 'line',
      data: {
        labels: data.supply.labels,
        datasets: Object.keys(supplyNames).map(function (key, i) {
          return {
            label: supplyNames[key],
            data: data.supply.series[key], // null: not known yet (after the as-of date)
            borderColor: palette[i],
            backgroundColor: palette[i],
            borderDash: i ? [6, 4] : [] // not told apart by colour alone
          };
        })
      },
      options: { animation: false, scales: { y: { beginAtZero: true } } }
    });
  }
})();
