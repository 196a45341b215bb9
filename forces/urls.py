from django.urls import path

from forces import views

app_name = "forces"
urlpatterns = [
    path("", views.force_list, name="force_list"),
    path("over-time/", views.force_stats_view, name="force_stats"),
    path("<slug:code>/", views.force_detail, name="force_detail"),
    path("<slug:code>/edit/", views.force_edit, name="force_edit"),
]
