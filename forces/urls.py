from django.urls import path

from forces import views

app_name = "forces"
urlpatterns = [
    path("", views.force_list, name="force_list"),
    # Before the force pages, whose codes would otherwise match "figures".
    path("figures/", views.figures, name="figures"),
    path("figures/new/", views.figures_add, name="figures_add"),
    path("figures/<int:pk>/correct/", views.figures_edit, name="figures_edit"),
    path("over-time/", views.force_stats_view, name="force_stats"),
    path("<slug:code>/", views.force_detail, name="force_detail"),
    path("<slug:code>/edit/", views.force_edit, name="force_edit"),
]
