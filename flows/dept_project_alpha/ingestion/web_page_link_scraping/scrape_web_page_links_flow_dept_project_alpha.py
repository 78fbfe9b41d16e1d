"""Category web_page_link_scraping: store Project Alpha's web pages, extract their links, and download the
matching ones (kind scrape).
"""

from airnub_prefect_starter.api import DOWNLOADS, SCRAPE, category_flow, kind_task
from flows.dept_project_alpha import DEPARTMENT

__all__ = ["scrape_web_page_links_flow_dept_project_alpha"]

scrape_pages_task_dept_project_alpha = kind_task(SCRAPE, "Scrape pages (Project Alpha)")
download_linked_files_task_dept_project_alpha = kind_task(DOWNLOADS, "Download linked files (Project Alpha)")
scrape_web_page_links_flow_dept_project_alpha = category_flow(
    SCRAPE,
    DEPARTMENT,
    "web_page_link_scraping",
    name="Web page link scraping (Project Alpha)",
    tasks=[scrape_pages_task_dept_project_alpha, download_linked_files_task_dept_project_alpha],
)
